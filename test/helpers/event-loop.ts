/**
 * How long work holds the event loop of this process (where startTestMaster's master runs), and
 * the seed of fuzz tests.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** The bound: no request may hold the master's event loop longer than this. */
export const EVENT_LOOP_BOUND_MS = 100;

export interface Held<T> {
  result: T;
  /** The longest event-loop delay while the work ran (wall clock). */
  maxDelayMs: number;
  /** CPU time this thread spent meanwhile: no synchronous stretch can have been longer. */
  cpuMs: number;
  /** What the work can be blamed for: the lesser of the two (see blockingMs). */
  heldMs: number;
}

/** The longest event-loop delay and this thread's CPU time while `work` ran. */
export async function maxEventLoopDelayMs<T>(work: () => Promise<T>): Promise<Held<T>> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  const cpu = process.threadCpuUsage();
  histogram.enable();
  try {
    const result = await work();
    const used = process.threadCpuUsage(cpu);
    const maxDelayMs = histogram.max / 1e6;
    const cpuMs = (used.user + used.system) / 1000;
    return { result, maxDelayMs, cpuMs, heldMs: Math.min(maxDelayMs, cpuMs) };
  } finally {
    histogram.disable();
  }
}

/**
 * How long `work` (repeatable, e.g. a refused request) held the loop, robust on a loaded 2-core
 * machine. A wall-clock delay also counts time the OS gave the process no CPU (at a load of 20,
 * 10 ms of work take 100 ms), so a delay only counts when the thread also spent that much CPU: a
 * synchronous stretch of N ms needs N ms of CPU. The least of up to three runs is kept, since a
 * garbage collection can strike once; work that really blocks does so every time.
 */
export async function blockingMs<T>(work: () => Promise<T>): Promise<Held<T>> {
  let best = await maxEventLoopDelayMs(work);
  for (let attempt = 1; attempt < 3 && best.heldMs > EVENT_LOOP_BOUND_MS; attempt++) {
    const again = await maxEventLoopDelayMs(work);
    if (again.heldMs < best.heldMs) best = again;
  }
  return best;
}

/** The seed of a fuzz run: FUZZ_SEED to replay one, else a fresh one (print it with the failure). */
export function fuzzSeed(): number {
  return process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
}
