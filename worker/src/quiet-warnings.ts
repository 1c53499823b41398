/** Outages come in storms (every Redis command, every retry): one line per kind of trouble per period. */
export function quietWarnings(warn: (message: string) => void, everyMs = 30_000): (kind: string, message: string) => void {
  const last = new Map<string, number>();
  return (kind, message) => {
    const now = Date.now();
    if (now - (last.get(kind) ?? -Infinity) < everyMs) return;
    last.set(kind, now);
    warn(message);
  };
}
