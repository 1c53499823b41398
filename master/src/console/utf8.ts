/** UTF-8 character boundaries: a console's bytes are cut into text only where a character ends. */

/**
 * Where the last complete character of `buf` ends: `buf.length`, or the start of a character
 * whose bytes are not all there yet (at most 3 bytes are held back). Bytes that are not UTF-8
 * count as complete (they decode to U+FFFD), so nothing invalid is held for ever.
 */
export function completeUpTo(buf: Uint8Array): number {
  const n = buf.length;
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const need = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 1;
    return i + need > n ? i : n;
  }
  return n;
}

/** How many continuation bytes (at most 3) `buf` starts with: the tail of a character begun before it. */
export function continuationPrefix(buf: Uint8Array): number {
  let i = 0;
  while (i < 3 && i < buf.length && (buf[i]! & 0xc0) === 0x80) i++;
  return i;
}
