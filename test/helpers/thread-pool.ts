/**
 * Keeps every thread of libuv's pool busy for a while, so that file-system work started meanwhile
 * (an open, a write) waits behind it: what a loaded machine does to a race, made certain.
 */
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';

/** Resolves when the pool is free again. */
export function occupyThreadPool(): Promise<unknown> {
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  return Promise.all(Array.from({ length: threads }, () => promisify(pbkdf2)('x', 'y', 300_000, 32, 'sha256')));
}
