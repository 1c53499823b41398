/**
 * Counts the calls of one method of a live service, where they arrive, so that a test waits for
 * "three more sweeps" or "four pings" instead of a time it hopes they take. `at` holds each call's
 * time (Date.now()), `count` how many have completed.
 */
export function countCalls<T extends object, K extends keyof T>(target: T, method: K): { readonly count: number; readonly at: number[] } {
  const original = target[method] as (...args: unknown[]) => unknown;
  const calls = { count: 0, at: [] as number[] };
  target[method] = (async (...args: unknown[]) => {
    calls.at.push(Date.now());
    try {
      return await original.apply(target, args);
    } finally {
      calls.count++;
    }
  }) as T[K];
  return calls;
}
