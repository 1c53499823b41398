/**
 * Writes a file the master sent into a workspace without ever leaving it: the path is checked,
 * every directory on the way is created or must be a real directory (a symlink left by an earlier
 * build is refused, not followed), and the bytes go to a temporary file that is renamed into place
 * (rename replaces a symlink at the final name instead of writing through it). Size and sha256 are
 * checked before the rename.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { workspacePathProblem } from '../../shared/src/workspace-path.ts';

export async function writeIntoWorkspace(workspace: string, relativePath: string, body: ReadableStream, expected: { size: number; sha256: string }): Promise<void> {
  const problem = workspacePathProblem(relativePath);
  if (problem) throw new Error(`refusing the path ${JSON.stringify(relativePath)}: ${problem}`);
  const segments = relativePath.split('/');
  const name = segments.pop()!;
  let dir = workspace;
  for (const segment of segments) {
    dir = join(dir, segment);
    const stat = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (stat === null) await mkdir(dir);
    else if (!stat.isDirectory()) throw new Error(`refusing ${relativePath}: ${segment} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`);
  }
  const partial = join(dir, `.jonkkins-${randomBytes(6).toString('hex')}.part`);
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(body), measure, createWriteStream(partial, { flags: 'wx', mode: 0o644 }));
    const sha256 = hash.digest('hex');
    if (size !== expected.size || sha256 !== expected.sha256) {
      throw new Error(`${relativePath} arrived damaged (${size} bytes, sha256 ${sha256}; expected ${expected.size} bytes, ${expected.sha256})`);
    }
    await rename(partial, join(dir, name));
  } finally {
    await rm(partial, { force: true });
  }
}
