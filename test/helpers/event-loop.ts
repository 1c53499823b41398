/**
 * How long work blocks the event loop of this process (where startTestMaster's master runs), and
 * a seeded random generator for fuzz tests.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** The bound: no request may hold the master's event loop longer than this. */
export const EVENT_LOOP_BOUND_MS = 100;

/** The longest event-loop delay, in ms, while `work` ran. */
export async function maxEventLoopDelayMs<T>(work: () => Promise<T>): Promise<{ result: T; maxDelayMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  try {
    const result = await work();
    return { result, maxDelayMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}

/**
 * The least of up to three measurements of `work` (repeatable, e.g. a refused request): on a loaded
 * 2-core machine a garbage collection or a stolen time slice can delay the loop once; work that
 * really blocks it does so every time.
 */
export async function blockingMs<T>(work: () => Promise<T>): Promise<{ result: T; maxDelayMs: number }> {
  let best = await maxEventLoopDelayMs(work);
  for (let attempt = 1; attempt < 3 && best.maxDelayMs > EVENT_LOOP_BOUND_MS; attempt++) {
    const again = await maxEventLoopDelayMs(work);
    if (again.maxDelayMs < best.maxDelayMs) best = again;
  }
  return best;
}

/** The seed of a fuzz run: FUZZ_SEED to replay one, else a fresh one (print it with the failure). */
export function fuzzSeed(): number {
  return process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
}
