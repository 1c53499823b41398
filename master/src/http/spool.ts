/**
 * Upload bodies to temporary files. A client sends at its own pace; nothing that waits on it may
 * hold a database connection or grow the master's memory. So an upload is spooled here first, at
 * the client's pace, and stored afterwards in a short transaction that only reads local disk.
 */
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DomainError } from '../errors.ts';

/** A fresh path for a temporary upload file (mode 0600 once written); the caller deletes it. */
export function spoolPath(kind: string): string {
  return join(tmpdir(), `jonkkins-${kind}-${randomUUID()}`);
}

export function payloadTooLarge(message: string): DomainError {
  return new DomainError(413, 'payload_too_large', message);
}

/**
 * Writes `body` to `path`, hashing it on the way. Past `limit` bytes it throws `tooLarge()` at once
 * and reads no further; the body is left undestroyed, so the refusal can still be answered.
 */
export async function spoolToFile(body: Readable, path: string, limit: number, tooLarge: () => Error, mode = 0o600): Promise<{ size: number; sha256: string }> {
  const out = createWriteStream(path, { flags: 'wx', mode });
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge();
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
    return { size, sha256: hash.digest('hex') };
  } catch (err) {
    // Wait for the close: a stream destroyed before its open completed still creates the file
    // afterwards, and the caller's cleanup would run before it and leave it behind.
    if (!out.closed) {
      const closed = new Promise<void>((done) => out.once('close', () => done()));
      out.destroy();
      await closed;
    }
    throw err;
  }
}
