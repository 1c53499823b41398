/**
 * A first-in first-out store of console bytes the master has not acknowledged yet. It lives in
 * memory up to `maxMemoryBytes`; beyond that (the master has been unreachable for a while and the
 * build is chatty) new bytes go to a spill file, and are read back in order as the master catches
 * up. While the master takes the console, the step is paused instead once two batches wait
 * (LogShipper.full); while it cannot be reached we spill rather than pause the step: a build must
 * not stall or lose bytes because the master is restarting.
 * Only masked bytes ever reach the spool, so no secret is written to disk.
 *
 * File I/O is synchronous on purpose: appends come from a stream 'data' callback and must keep
 * their order, and it only happens once tens of megabytes are waiting anyway.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';

export const DEFAULT_MAX_MEMORY_BYTES = 64 * 1024 * 1024;
/** How much is read back from the spill file at a time. */
const REFILL_BYTES = 1024 * 1024;

export class ByteSpool {
  readonly #maxMemory: number;
  readonly #spillPath: string;
  #chunks: Buffer[] = [];
  #memBytes = 0;
  #fd: number | undefined;
  #fileRead = 0;
  #fileWritten = 0;

  constructor(spillPath: string, maxMemoryBytes = DEFAULT_MAX_MEMORY_BYTES) {
    this.#spillPath = spillPath;
    this.#maxMemory = maxMemoryBytes;
  }

  /** Bytes held, in memory and on disk. */
  get length(): number {
    return this.#memBytes + (this.#fileWritten - this.#fileRead);
  }

  /** Whether some bytes are on disk right now. */
  get spilling(): boolean {
    return this.#fd !== undefined;
  }

  append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.#fd === undefined && this.#memBytes + bytes.length <= this.#maxMemory) {
      this.#chunks.push(bytes);
      this.#memBytes += bytes.length;
      return;
    }
    // Once anything is on disk, everything after it goes there too: order is kept.
    this.#fd ??= openSync(this.#spillPath, 'w+', 0o600);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done, this.#fileWritten + done);
    this.#fileWritten += bytes.length;
  }

  /** Puts bytes in front of everything held (a notice the master must see before the rest). */
  prepend(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#chunks.unshift(bytes);
    this.#memBytes += bytes.length;
  }

  /** Up to `max` bytes from the front, without removing them, as one Buffer. */
  peek(max: number): Buffer {
    const parts = this.peekParts(max);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Up to `max` bytes from the front, without removing them, as the chunks they are held in (no copy). */
  peekParts(max: number): Buffer[] {
    if (this.#memBytes < max) this.#refill(max - this.#memBytes);
    const parts: Buffer[] = [];
    let n = 0;
    for (const c of this.#chunks) {
      if (n >= max) break;
      const take = c.subarray(0, max - n);
      parts.push(take);
      n += take.length;
    }
    return parts;
  }

  /** Removes `n` bytes from the front. */
  drop(n: number): void {
    let left = Math.min(n, this.length);
    while (left > 0) {
      if (this.#chunks.length === 0) this.#refill(Math.min(left, REFILL_BYTES));
      const c = this.#chunks[0]!;
      if (c.length <= left) {
        this.#chunks.shift();
        this.#memBytes -= c.length;
        left -= c.length;
      } else {
        this.#chunks[0] = c.subarray(left);
        this.#memBytes -= left;
        left = 0;
      }
    }
    this.#closeFileIfRead();
  }

  /** Forgets everything and removes the spill file. */
  close(): void {
    this.#chunks = [];
    this.#memBytes = 0;
    this.#fileRead = this.#fileWritten;
    this.#closeFileIfRead();
  }

  #refill(want: number): void {
    if (this.#fd === undefined) return;
    const size = Math.min(Math.max(want, REFILL_BYTES), this.#fileWritten - this.#fileRead);
    if (size <= 0) return;
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(this.#fd, buf, got, size - got, this.#fileRead + got);
      if (n === 0) throw new Error(`the log spill file ${this.#spillPath} is shorter than what was written to it`);
      got += n;
    }
    this.#fileRead += size;
    this.#chunks.push(buf);
    this.#memBytes += size;
    this.#closeFileIfRead();
  }

  #closeFileIfRead(): void {
    if (this.#fd === undefined || this.#fileRead < this.#fileWritten) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    this.#fileRead = this.#fileWritten = 0;
    rmSync(this.#spillPath, { force: true });
  }
}
