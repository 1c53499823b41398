/**
 * An upload refused while it is spooled is settled when the refusal reaches the caller: its file
 * is not still being created, so the caller's cleanup cannot run before the file appears and
 * leave it behind (the CI failure of 2026-12-02: a `.part` file left in `.incoming`).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import test from 'ava';
import { payloadTooLarge, spoolToFile } from '../../master/src/http/spool.ts';
import { occupyThreadPool } from '../helpers/thread-pool.ts';

test('a body refused before its file was opened: no file appears after the refusal', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jonkkins-spool-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // The file's open waits behind the busy pool: the refusal (at the first chunk) comes while the
  // open is still pending, as it did under CI's load.
  const busy = occupyThreadPool();
  const refused = join(dir, 'refused.part');
  const err = await t.throwsAsync(spoolToFile(Readable.from([Buffer.alloc(2000)]), refused, 1000, () => payloadTooLarge('over 1000 bytes')));
  t.like(err, { status: 413 });
  const atRefusal = existsSync(refused); // synchronous: not queued behind the pool like a cleanup
  await busy;
  // A whole spool after it (open, write, close on the same pool) outlasts anything still pending.
  const kept = join(dir, 'kept.part');
  t.like(await spoolToFile(Readable.from([Buffer.alloc(10)]), kept, 1000, () => payloadTooLarge('over')), { size: 10 });
  t.is(existsSync(refused), atRefusal, 'the refused file appeared after the refusal: a cleanup then would have missed it');
  await rm(refused, { force: true });
  await rm(kept);
  t.deepEqual(await readdir(dir), []);
});
