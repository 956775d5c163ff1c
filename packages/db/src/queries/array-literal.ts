// Postgres array literals ('{"a",NULL,"b"}', '{1.5,NULL}') built from one column of a batch, for
// statements that take a column per parameter (`unnest($1::text[], ...)`). pg builds the same
// text from a JS array, but through two regex replaces and a generic conversion per element and a
// local-time date formatter per timestamp: 7% of the prediction API's CPU under load. Each
// builder below reads one field of every row, so no per-column JS array is made either.

/** `{e1,e2,...}`: each row's value through `format`, NULL for null or undefined. */
function arrayLiteral<T, V>(
  rows: readonly T[],
  pick: (row: T) => V | null | undefined,
  format: (value: V) => string,
): string {
  let out = '{';
  for (let i = 0; i < rows.length; i++) {
    const value = pick(rows[i]!);
    if (i > 0) out += ',';
    out += value === null || value === undefined ? 'NULL' : format(value);
  }
  return out + '}';
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/**
 * Double-quoted (so commas, braces, spaces and the word NULL stay data), with `"` and `\`
 * escaped. Anything else goes as is: a NUL byte is refused by Postgres for the whole statement,
 * as it was when pg built the literal, and the caller's refusal handling finds the row.
 */
function quoteElement(value: string): string {
  return '"' + (NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, '\\$&') : value) + '"';
}

export function textArrayLiteral<T>(
  rows: readonly T[],
  pick: (row: T) => string | null | undefined,
): string {
  return arrayLiteral(rows, pick, quoteElement);
}

/**
 * Numbers as JS prints them: Postgres reads `1e+21`, `NaN`, `Infinity` and `-Infinity` for real
 * and double precision, and an integer column refuses a fraction, as with pg's literal.
 */
export function numberArrayLiteral<T>(
  rows: readonly T[],
  pick: (row: T) => number | null | undefined,
): string {
  return arrayLiteral(rows, pick, String);
}

/**
 * Instants in UTC (`toISOString`), formatted once per run of rows in the same millisecond (the
 * prediction API's rows come ~16 to a millisecond under load). An invalid Date has no ISO form:
 * it is written as a word Postgres refuses as a timestamp (a data refusal, 22007), so its row is
 * kept aside like any other refused row instead of failing the whole batch in JS.
 */
export function timestampArrayLiteral<T>(
  rows: readonly T[],
  pick: (row: T) => Date | null | undefined,
): string {
  let lastMs = Number.NaN;
  let lastText = '';
  return arrayLiteral(rows, pick, (value) => {
    const ms = value.getTime();
    if (ms !== lastMs) {
      lastMs = ms; // NaN never equals itself: an invalid Date is never taken for the last one
      lastText = Number.isNaN(ms) ? '"invalid date"' : value.toISOString();
    }
    return lastText;
  });
}
