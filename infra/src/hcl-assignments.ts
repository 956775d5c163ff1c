// What hcl2json cannot tell apart: `name { ... }` (a block) and `name = [{ ... }]` (an argument
// holding a list of objects) both come out as an array of objects. Terraform refuses the second
// for a nested block ("An argument named X is not expected here. Did you mean to define a block
// of type X?"), so the schema check needs to know which form the source used. This reads the
// source line by line, as Terraform's native syntax is written (one argument or block header per
// line), and lists every `name =` argument with the path of blocks around it.

export type TAssignment = {
  /** The top-level block: `resource "aws_x" "y"` is ['resource', 'aws_x', 'y']. */
  header: string[];
  /** Nested blocks from the top-level block down to the argument's own block, with their labels (`dynamic "statement"` is ['dynamic', 'statement']). */
  path: string[][];
  name: string;
  /** The first character of the value (`[` for a list, `{` for an object, ...). */
  valueStart: string;
  line: number;
};

type TFrame = { kind: 'block'; labels: string[] } | { kind: 'expression' };

const ATTRIBUTE = /^\s*([A-Za-z_][\w-]*)\s*=(?!=)/;
const BLOCK_HEADER = /^\s*([A-Za-z_][\w-]*)((?:\s+(?:"[^"]*"|[A-Za-z_][\w-]*))*)\s*\{/;

/** Every `name = value` argument inside a block, with its block path. */
export function listAssignments(text: string): TAssignment[] {
  const out: TAssignment[] = [];
  const stack: TFrame[] = [];
  let heredoc: { marker: string } | undefined;
  let inBlockComment = false;

  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    if (heredoc) {
      if (raw.trim() === heredoc.marker) heredoc = undefined;
      return;
    }
    const top = stack.at(-1);
    const isStatementStart = !inBlockComment && (top === undefined || top.kind === 'block');
    let rest = raw;
    if (isStatementStart) {
      const attribute = ATTRIBUTE.exec(raw);
      const header = attribute ? null : BLOCK_HEADER.exec(raw);
      if (attribute?.[1] && top?.kind === 'block') {
        const blocks = stack.filter(
          (f): f is Extract<TFrame, { kind: 'block' }> => f.kind === 'block',
        );
        out.push({
          header: blocks[0]?.labels ?? [],
          path: blocks.slice(1).map((b) => b.labels),
          name: attribute[1],
          valueStart: raw.slice(attribute[0].length).trim().charAt(0),
          line: index + 1,
        });
        rest = raw.slice(attribute[0].length);
      } else if (header?.[1]) {
        const labels = [
          header[1],
          ...[...(header[2] ?? '').matchAll(/"([^"]*)"|([A-Za-z_][\w-]*)/g)].map(
            (m) => m[1] ?? m[2] ?? '',
          ),
        ];
        stack.push({ kind: 'block', labels });
        rest = raw.slice(header[0].length);
      }
    }
    // The rest of the line: brackets open and close expressions (or a one-line block's body);
    // strings, comments and heredoc openers are skipped.
    for (let i = 0; i < rest.length; i += 1) {
      const char = rest[i];
      const next = rest[i + 1];
      if (inBlockComment) {
        if (char === '*' && next === '/') {
          inBlockComment = false;
          i += 1;
        }
        continue;
      }
      if (char === '#' || (char === '/' && next === '/')) break;
      if (char === '/' && next === '*') {
        inBlockComment = true;
        i += 1;
      } else if (char === '"') {
        i = skipString(rest, i);
      } else if (char === '<' && next === '<') {
        const marker = /^<<-?([A-Za-z_]\w*)\s*$/.exec(rest.slice(i));
        if (marker?.[1]) {
          heredoc = { marker: marker[1] };
          break;
        }
      } else if (char === '{' || char === '[' || char === '(') {
        stack.push({ kind: 'expression' });
      } else if (char === '}' || char === ']' || char === ')') {
        stack.pop();
      }
    }
  });
  return out;
}

/** Index of the closing quote of the string opening at `start` (template `${...}` nesting included). */
function skipString(line: string, start: number): number {
  let depth = 0;
  for (let i = start + 1; i < line.length; i += 1) {
    const char = line[i];
    if (char === '\\') i += 1;
    else if (char === '$' && line[i + 1] === '{') {
      depth += 1;
      i += 1;
    } else if (char === '}' && depth > 0) depth -= 1;
    else if (char === '"' && depth === 0) return i;
  }
  return line.length;
}
