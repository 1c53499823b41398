/**
 * Ships one build's console to the master: bytes in batches (LOG_BATCH_MS, LOG_BATCH_BYTES) at
 * absolute offsets, one request at a time, a ping while nothing was sent for BUILD_PING_MS, and
 * the master's BuildControl answers (abort) passed on. Bytes stay in the spool until the master
 * acknowledged them (its `logSize`), so resends are idempotent and a master restart loses nothing:
 * network errors, 5xx and 429 are retried with backoff, for as long as it takes, unless `giveUp`
 * fires (the agent is shutting down and cannot wait for ever).
 *
 * The master's logSize is the truth. When it says it has fewer bytes than it acknowledged before
 * (it lost some; should not happen), the shipper cannot resend them: it writes a notice saying how
 * many were lost and carries on from the master's size, so the build can still finish.
 */
import { BUILD_PING_MS, LOG_BATCH_BYTES, LOG_BATCH_MS, LogGap, type BuildControl } from '../../shared/src/agent-protocol.ts';
import { Backoff } from '../../shared/src/backoff.ts';
import { ByteSpool, DEFAULT_MAX_MEMORY_BYTES } from './byte-spool.ts';
import { isRetryable, MasterError } from './master-client.ts';
import { quietWarnings } from './quiet-warnings.ts';

/** The calls the shipper makes (MasterClient has them). */
export interface LogChannel {
  /** `parts`: the bytes, in order, as the chunks they are held in. */
  sendLog(buildId: number, offset: number, parts: readonly Uint8Array[]): Promise<BuildControl>;
  ping(buildId: number): Promise<BuildControl>;
}

export interface LogShipperOptions {
  channel: LogChannel;
  buildId: number;
  /** Where our bytes start in the console (BuildSpec.logOffset). */
  startOffset: number;
  /** Where bytes go once too many wait in memory. */
  spillPath: string;
  /** The master said abort (called once). */
  onAbort(): void;
  /** The master refused the console for good (e.g. the build is no longer ours), or we gave up (called once). */
  onFailure?(err: Error): void;
  /** Stop retrying: the shipper fails with the last error instead of waiting for the master. */
  giveUp?: AbortSignal;
  warn(message: string): void;
  batchMs?: number;
  batchBytes?: number;
  pingMs?: number;
  maxMemoryBytes?: number;
}

const RETRY_BACKOFF = { initialMs: 250, maxMs: 5000 };

export class LogShipper {
  readonly #o: LogShipperOptions;
  readonly #spool: ByteSpool;
  readonly #batchMs: number;
  readonly #batchBytes: number;
  readonly #pingMs: number;
  /** The master has the console up to here; the spool holds what follows. */
  #acked: number;
  /** When the oldest byte not sent yet arrived (undefined: nothing waits). */
  #waitingSince: number | undefined;
  #lastContact = Date.now();
  #closing = false;
  #aborted = false;
  #failure: Error | undefined;
  #kick: () => void = () => {};
  #flushWaiters: Array<() => void> = [];
  /** takeTail holds the loop: no log call or ping starts. */
  #holding = false;
  /** A log call or ping is on its way. */
  #busy = false;
  #idleWaiters: Array<() => void> = [];
  /** The last call to the master failed: we are backing off (bytes then spill, see `full`). */
  #retrying = false;
  #drainWaiters: Array<() => void> = [];
  readonly #loop: Promise<void>;
  readonly #warn: (kind: string, message: string) => void;

  constructor(opts: LogShipperOptions) {
    this.#o = opts;
    this.#warn = quietWarnings(opts.warn, 10_000);
    this.#spool = new ByteSpool(opts.spillPath, opts.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES);
    this.#batchMs = opts.batchMs ?? LOG_BATCH_MS;
    this.#batchBytes = opts.batchBytes ?? LOG_BATCH_BYTES;
    this.#pingMs = opts.pingMs ?? BUILD_PING_MS;
    this.#acked = opts.startOffset;
    opts.giveUp?.addEventListener('abort', () => this.#kick(), { once: true });
    this.#loop = this.#run();
  }

  /** The console size once everything written so far is stored: what `finish` reports. */
  get size(): number {
    return this.#acked + this.#spool.length;
  }

  /** Bytes the master has not acknowledged yet. */
  get pending(): number {
    return this.#spool.length;
  }

  /**
   * Flow control for the step's output: true while two batches wait and the master is taking
   * them, so the reader should pause the step (it blocks on its next write) rather than let the
   * agent hold or spill to disk what the master cannot store as fast. While the master cannot be
   * reached it is false: the step runs on and its output spills, as a master restart must not
   * stall builds.
   */
  get full(): boolean {
    return !this.#retrying && !this.#failure && !this.#closing && this.#spool.length >= 2 * this.#batchBytes;
  }

  /** Calls `listener` once the shipper is not `full` any more. */
  whenDrained(listener: () => void): void {
    if (!this.full) listener();
    else this.#drainWaiters.push(listener);
  }

  #wakeDrainWaiters(): void {
    if (this.full || this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Queues bytes (already masked) for the master. Never throws. */
  write(bytes: Buffer): void {
    if (bytes.length === 0 || this.#failure) return;
    try {
      this.#spool.append(bytes);
    } catch (err) {
      this.#fail(new Error(`cannot keep the console bytes: ${(err as Error).message}`));
      return;
    }
    const first = this.#waitingSince === undefined;
    this.#waitingSince ??= Date.now();
    // The first waiting byte re-arms the loop's sleep (it may be waiting for the next ping, BUILD_PING_MS away).
    if (first || this.#spool.length >= this.#batchBytes) this.#kick();
  }

  /** Resolves once the master has every byte written so far; rejects if the shipper failed. */
  async flush(): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#spool.length === 0) return;
    await new Promise<void>((resolve) => {
      this.#flushWaiters.push(resolve);
      this.#kick();
    });
    if (this.#failure) throw this.#failure;
  }

  /**
   * For a finish call that carries the console's end: stops sending, waits for a call on its way,
   * and returns the bytes the master has not acknowledged and their offset — or undefined, and
   * carries on, when more than `max` bytes wait (flush instead). Until `resume` or `close`, nothing
   * more is sent; rejects if the shipper failed.
   */
  async takeTail(max: number): Promise<{ offset: number; bytes: Buffer } | undefined> {
    if (this.#failure) throw this.#failure;
    this.#holding = true;
    while (this.#busy) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    if (this.#failure) throw this.#failure;
    if (this.#spool.length > max) {
      this.resume();
      return undefined;
    }
    return { offset: this.#acked, bytes: this.#spool.peek(this.#spool.length) };
  }

  /** Sending goes on after takeTail (the finish call did not get through). */
  resume(): void {
    this.#holding = false;
    this.#kick();
  }

  /** The master says it has `logSize` bytes (a 409 to finish): resend from there. */
  rebase(logSize: number): void {
    this.#adopt(logSize);
    if (this.#spool.length > 0) this.#waitingSince ??= 0;
    this.#kick();
  }

  /** Stops the loop (call flush first: bytes still waiting are dropped) and removes any spill file. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#wakeDrainWaiters();
    this.#kick();
    await this.#loop;
    this.#spool.close();
  }

  async #run(): Promise<void> {
    const backoff = new Backoff(RETRY_BACKOFF);
    let gaps = 0;
    while (!this.#failure && !this.#closing) {
      const now = Date.now();
      const due = !this.#holding && this.#sendDue(now);
      const pingDue = !due && !this.#holding && this.#spool.length === 0 && now - this.#lastContact >= this.#pingMs;
      if (!due && !pingDue) {
        this.#wakeFlushWaiters();
        await this.#sleep(this.#holding ? this.#pingMs : this.#nextWakeIn(now)); // resume() wakes it
        continue;
      }
      this.#busy = true;
      try {
        if (due) {
          const offset = this.#acked;
          const parts = this.#spool.peekParts(this.#batchBytes);
          const control = await this.#o.channel.sendLog(this.#o.buildId, offset, parts);
          this.#retrying = false;
          this.#adopt(control.logSize);
          this.#react(control);
        } else {
          this.#react(await this.#o.channel.ping(this.#o.buildId));
          this.#retrying = false;
        }
        this.#lastContact = Date.now();
        backoff.reset();
        gaps = 0;
      } catch (err) {
        const gap = err instanceof MasterError && err.status === 409 ? LogGap.safeParse(err.body) : undefined;
        if (gap?.success && ++gaps <= 3) {
          this.#adopt(gap.data.logSize);
          continue;
        }
        if (!isRetryable(err)) {
          this.#fail(err as Error);
          break;
        }
        if (this.#o.giveUp?.aborted) {
          this.#fail(new Error(`gave up sending the console to the master: ${(err as Error).message}`));
          break;
        }
        const e = err as MasterError;
        const wait = backoff.next(e.retryAfterMs);
        this.#retrying = true;
        this.#wakeDrainWaiters(); // the step goes on meanwhile; its output spills
        this.#warn('retry', `build ${this.#o.buildId}: cannot reach the master (${e.message}); ${this.#spool.length} console bytes wait; retrying in ${wait} ms`);
        this.#idle();
        await this.#sleep(wait, true);
      } finally {
        this.#idle();
      }
    }
    this.#wakeFlushWaiters();
  }

  /** Something should be sent now: a full batch, an old enough byte, a flush, or the end. */
  #sendDue(now: number): boolean {
    if (this.#spool.length === 0) return false;
    if (this.#flushWaiters.length > 0 || this.#spool.length >= this.#batchBytes) return true;
    return this.#waitingSince !== undefined && now - this.#waitingSince >= this.#batchMs;
  }

  #nextWakeIn(now: number): number {
    if (this.#spool.length > 0 && this.#waitingSince !== undefined) return Math.max(1, this.#waitingSince + this.#batchMs - now);
    return Math.max(1, this.#lastContact + this.#pingMs - now);
  }

  /** Takes the master's size as the truth (see the header comment). */
  #adopt(logSize: number): void {
    const end = this.size;
    if (logSize >= this.#acked && logSize <= end) {
      this.#spool.drop(logSize - this.#acked);
    } else if (logSize < this.#acked) {
      const lost = this.#acked - logSize;
      this.#o.warn(`build ${this.#o.buildId}: the master lost ${lost} console bytes it had acknowledged`);
      this.#spool.prepend(Buffer.from(`\n[jonkkins agent: the master lost ${lost} bytes of this console]\n`));
    } else {
      this.#o.warn(`build ${this.#o.buildId}: the master has ${logSize - end} console bytes more than this agent sent`);
      this.#spool.drop(this.#spool.length);
    }
    this.#acked = logSize;
    this.#waitingSince = this.#spool.length === 0 ? undefined : this.#waitingSince ?? Date.now();
    this.#wakeDrainWaiters();
  }

  #react(control: BuildControl): void {
    if (control.abort && !this.#aborted) {
      this.#aborted = true;
      this.#o.onAbort();
    }
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#wakeDrainWaiters();
    this.#kick();
    this.#o.onFailure?.(err);
  }

  #idle(): void {
    this.#busy = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #wakeFlushWaiters(): void {
    if (this.#spool.length > 0 && !this.#failure) return;
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const w of waiters) w();
  }

  /** Sleeps until ms passed or something happened (a write, a flush, close, giveUp). */
  #sleep(ms: number, backingOff = false): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#kick = () => {};
        resolve();
      };
      const timer = setTimeout(done, ms);
      // While backing off, new bytes must not cut the wait short; giving up and closing may.
      this.#kick = backingOff ? () => (this.#o.giveUp?.aborted || this.#failure || this.#closing ? done() : undefined) : done;
    });
  }
}
