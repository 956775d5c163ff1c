// publishFile to a local destination, on the real filesystem: the scratch file is moved into
// place (a rename on the same filesystem, a copy + rename across two), replaces an earlier run's
// file and leaves no temp file behind. The s3:// path is covered end to end in scorer-cli.test.ts
// (s3rver: no temp keys left).
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { publishFile } from './publish';

const folders: string[] = [];
async function tempFolder(root = os.tmpdir()): Promise<string> {
  const folder = await mkdtemp(path.join(root, 'tripcast-publish-'));
  folders.push(folder);
  return folder;
}
afterEach(async () => {
  await Promise.all(folders.splice(0).map((f) => rm(f, { recursive: true, force: true })));
});

/** tmpfs at /dev/shm is another filesystem than the temp folder on most Linux machines. */
const otherFilesystem =
  existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(os.tmpdir()).dev
    ? '/dev/shm'
    : null;

describe('publishFile (local destination)', () => {
  it('moves the scratch file into place, creating the folders, and returns where it now is', async () => {
    const scratch = path.join(await tempFolder(), 'predictions.parquet');
    await writeFile(scratch, 'run 1');
    const store = await tempFolder();
    const uri = path.join(store, 'taxi_type=green', 'year=2021', 'month=02', 'r1.parquet');

    const readable = await publishFile(scratch, uri, { runId: 'r1' });

    expect(readable).toBe(uri);
    expect(await readFile(uri, 'utf8')).toBe('run 1');
    expect(existsSync(scratch)).toBe(false);
    expect(await readdir(path.dirname(uri))).toEqual(['r1.parquet']);
  });

  it("replaces an earlier run's file at the same place", async () => {
    const store = await tempFolder();
    const uri = path.join(store, 'r1.parquet');
    await writeFile(uri, 'the earlier attempt');
    const scratch = path.join(await tempFolder(), 'predictions.parquet');
    await writeFile(scratch, 'the rerun');

    await publishFile(scratch, uri, { runId: 'r1' });

    expect(await readFile(uri, 'utf8')).toBe('the rerun');
    expect(await readdir(store)).toEqual(['r1.parquet']);
  });

  it.skipIf(otherFilesystem === null)(
    'copies through a temp file next to the destination when scratch is on another filesystem',
    async () => {
      const scratch = path.join(await tempFolder(otherFilesystem!), 'predictions.parquet');
      await writeFile(scratch, 'across filesystems');
      const store = await tempFolder();
      const uri = path.join(store, 'r2.parquet');

      expect(await publishFile(scratch, uri, { runId: 'r2' })).toBe(uri);

      expect(await readFile(uri, 'utf8')).toBe('across filesystems');
      expect(existsSync(scratch)).toBe(false);
      expect(await readdir(store)).toEqual(['r2.parquet']);
    },
  );

  it('fails, keeping the scratch file, when the destination cannot be written', async () => {
    const scratch = path.join(await tempFolder(), 'predictions.parquet');
    await writeFile(scratch, 'kept');
    const store = await tempFolder();
    // A file where the destination's folder should be.
    await writeFile(path.join(store, 'taxi_type=green'), 'not a folder');

    await expect(
      publishFile(scratch, path.join(store, 'taxi_type=green', 'r3.parquet'), { runId: 'r3' }),
    ).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(await readFile(scratch, 'utf8')).toBe('kept');
  });
});
