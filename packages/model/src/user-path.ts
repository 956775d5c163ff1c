import path from 'node:path';

/**
 * A location the user typed, made absolute against the folder they typed it in. `npm run <script>
 * -w <workspace>` runs the script inside the workspace's folder and keeps the user's folder in
 * INIT_CWD, so the README's `--input ../shared/data/...` must be resolved against that folder, not
 * the process's. s3:// and http(s):// URIs are returned unchanged.
 */
export function resolveUserPath(value: string, userDir: string): string {
  if (value.startsWith('s3://') || /^https?:\/\//.test(value)) return value;
  return path.resolve(userDir, value);
}
