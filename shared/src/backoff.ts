/**
 * Trying again with exponential backoff — the one way an agent waits for a master it cannot
 * reach (start, log, finish, triggers, artifacts, login): each wait doubles from `initialMs` up
 * to `maxMs`, a Retry-After asks for at least that long, and a success starts over.
 */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** The waits of one run of attempts. */
export class Backoff {
  readonly #policy: BackoffPolicy;
  #next: number;
  constructor(policy: BackoffPolicy) {
    this.#policy = policy;
    this.#next = policy.initialMs;
  }

  /** The wait before the next attempt, at least `atLeastMs` (a Retry-After); the one after is twice as long. */
  next(atLeastMs = 0): number {
    const wait = Math.max(this.#next, atLeastMs);
    this.#next = Math.min(this.#policy.maxMs, this.#next * 2);
    return wait;
  }

  /** After a success: the next failure waits `initialMs` again. */
  reset(): void {
    this.#next = this.#policy.initialMs;
  }
}

/** Waits `ms`, or until `signal` aborts; never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface RetryOptions extends BackoffPolicy {
  /** Whether this failure (of attempt number `attempt`, from 1) is worth another attempt; if not, it is thrown. */
  retryable(err: unknown, attempt: number): boolean;
  /** At least this long before the next attempt (the master's Retry-After). */
  retryAfterMs?(err: unknown): number | undefined;
  /** Cuts a wait short (the next attempt follows at once; `retryable` decides whether it is made). */
  signal?: AbortSignal;
  /** Told before each wait (for a log line). */
  onRetry?(err: unknown, waitMs: number): void;
}

/** Runs `attempt` until it succeeds or fails with what `retryable` refuses, backing off between attempts. */
export async function retry<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const backoff = new Backoff(opts);
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!opts.retryable(err, n)) throw err;
      const wait = backoff.next(opts.retryAfterMs?.(err) ?? 0);
      opts.onRetry?.(err, wait);
      await pause(wait, opts.signal);
    }
  }
}
