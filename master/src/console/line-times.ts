/**
 * Lines of a console with the time each began (its first byte's stored row's time): the plain
 * text with `[ISO time] ` prefixes, and Jenkins Timestamper's `/timestamps/` listing. Work is
 * O(lines) per stored row (a native newline search), and each row's output is one buffer.
 */
import type { StoredPiece } from '../db/chunk-stream.ts';

const NL = 0x0a;

/**
 * The pieces' bytes with `prefix(at)` before each line that starts in them. With `context`, the
 * first byte is the one before the range, read only to know whether the range starts a line;
 * else it does. With `keepText` false, each line becomes its prefix and a newline.
 */
export async function* prefixLines(pieces: AsyncIterable<StoredPiece>, context: boolean, prefix: (at: number | null) => Buffer, keepText = true): AsyncGenerator<Buffer> {
  let lineStart = !context;
  let peek = context;
  for await (const p of pieces) {
    const d = p.data;
    const out: Buffer[] = [];
    const pre = prefix(p.at);
    let from = 0;
    if (peek && d.length > 0) {
      peek = false;
      lineStart = d[0] === NL;
      from = 1;
    }
    while (from < d.length) {
      if (lineStart) {
        out.push(pre);
        if (!keepText) out.push(NEWLINE);
        lineStart = false;
      }
      const nl = d.indexOf(NL, from);
      const to = nl < 0 ? d.length : nl + 1;
      if (keepText) out.push(d.subarray(from, to));
      from = to;
      lineStart = nl >= 0;
    }
    if (out.length > 0) yield Buffer.concat(out);
  }
}
const NEWLINE = Buffer.from('\n');

/** `[2026-12-01T21:40:00.123Z] ` (nothing for a line stored before times were kept). */
export const isoPrefix = (at: number | null): Buffer => (at === null ? EMPTY : Buffer.from(`[${new Date(at).toISOString()}] `));
const EMPTY = Buffer.alloc(0);
