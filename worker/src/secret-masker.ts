/**
 * Replaces secrets (password parameter values) by **** in console bytes before they leave the
 * agent. Works on bytes, never on decoded text, so binary output and invalid UTF-8 pass through
 * untouched, and it is exact across chunk boundaries: the result of pushing a stream in any split
 * is the same as masking the whole stream at once.
 *
 * Matching is leftmost-longest and non-overlapping (Jenkins' MaskPasswordsOutputStream: one regex
 * of the quoted secrets, longest first). A chunk's tail is held back only while it could still
 * become a secret: the held bytes are a proper prefix of some secret, so at most
 * (longest secret − 1) bytes, and usually none.
 *
 * Each secret is also masked in the forms a shell writes it back out quoted (shell-quoted.ts):
 * a `-x` trace re-quotes a password with a space or a quote.
 *
 * A few secrets are found with native indexOf, one search each. Many (a bound private key is
 * fifty, one per line) are found in one pass over the bytes: a table of the secrets' first two
 * bytes says where one may begin, and only there are the secrets with those two bytes compared.
 */
import { shellQuotedForms } from './shell-quoted.ts';

export const MASK = Buffer.from('****');
const EMPTY = Buffer.alloc(0);
/** How many leading bytes of a secret are searched for natively before comparing the rest. */
const HEAD = 8;
/**
 * Up to this many secrets (quoted forms included), a native indexOf per secret (about 1 GB/s
 * each here) is faster than one scan in JavaScript (about 200 MB/s); beyond, the scan wins.
 */
const FEW = 6;

export class SecretMasker {
  readonly #secrets: Buffer[];
  /** Secrets of two bytes or more by their first two bytes (`b0 << 8 | b1`), longest first. */
  readonly #byPair = new Map<number, Buffer[]>();
  /** 1 where #byPair has an entry. */
  readonly #pairs: Uint8Array;
  /** Secrets of one byte. */
  readonly #singles = new Uint8Array(256);
  /** First bytes of the secrets of two bytes or more: a chunk's last byte may begin one. */
  readonly #starts = new Uint8Array(256);
  readonly #maxLength: number;
  #held: Buffer = Buffer.alloc(0);

  constructor(secrets: Iterable<string>) {
    const unique = new Set([...secrets].filter((s) => s.length > 0).flatMap((s) => [s, ...shellQuotedForms(s)]));
    // Longest first, so that on a tie in position the longest secret wins.
    this.#secrets = [...unique].map((s) => Buffer.from(s, 'utf8')).sort((a, b) => b.length - a.length);
    this.#maxLength = this.#secrets[0]?.length ?? 0;
    this.#pairs = new Uint8Array(this.#secrets.length > FEW ? 65536 : 0);
    for (const secret of this.#secrets.length > FEW ? this.#secrets : []) {
      if (secret.length === 1) {
        this.#singles[secret[0]!] = 1;
        continue;
      }
      const pair = (secret[0]! << 8) | secret[1]!;
      this.#pairs[pair] = 1;
      this.#starts[secret[0]!] = 1;
      const list = this.#byPair.get(pair);
      if (list) list.push(secret);
      else this.#byPair.set(pair, [secret]);
    }
  }

  /** How many bytes are held back now, waiting to see whether they start a secret. */
  get held(): number {
    return this.#held.length;
  }

  /** Masks what can be decided now; keeps back a tail that might be the start of a secret. */
  push(chunk: Buffer): Buffer {
    if (this.#secrets.length === 0) return chunk;
    const data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    const [out, rest] = this.#mask(data, false);
    this.#held = rest;
    return out;
  }

  /** The stream ends here (a step ended, or the agent writes a line of its own): releases the held tail. */
  flush(): Buffer {
    if (this.#held.length === 0) return Buffer.alloc(0);
    const [out] = this.#mask(this.#held, true);
    this.#held = Buffer.alloc(0);
    return out;
  }

  /** [masked output, held tail]. With `final`, nothing is held: no more bytes can follow. */
  #mask(data: Buffer, final: boolean): [Buffer, Buffer] {
    return this.#secrets.length <= FEW ? this.#maskFew(data, final) : this.#maskMany(data, final);
  }

  /** #mask for many secrets: one scan in JavaScript, the pair table saying where to compare. */
  #maskMany(data: Buffer, final: boolean): [Buffer, Buffer] {
    const n = data.length;
    // From here on a secret may not fit in what is left: the bytes may be the start of one.
    const tailStart = final ? n : Math.max(0, n - this.#maxLength + 1);
    const pairs = this.#pairs;
    const singles = this.#singles;
    const parts: Buffer[] = [];
    let copied = 0; // data[copied, p) is still to be passed on
    const out = (end: number): Buffer => {
      if (parts.length === 0) return copied === 0 && end === n ? data : data.subarray(copied, end);
      parts.push(data.subarray(copied, end));
      return Buffer.concat(parts);
    };
    for (let p = 0; p < n; ) {
      let length = 0;
      if (p + 1 < n) {
        const pair = (data[p]! << 8) | data[p + 1]!;
        if (pairs[pair] === 1) {
          const candidates = this.#byPair.get(pair)!;
          const rest = n - p;
          for (const s of candidates) {
            // Undecided: what is left could still become this longer secret.
            if (s.length > rest) {
              if (p >= tailStart && sameBytes(data, p, s, rest)) return [out(p), Buffer.from(data.subarray(p))];
            } else if (sameBytes(data, p, s, s.length)) {
              length = s.length; // longest first: a longer one that is undecided came before
              break;
            }
          }
        }
      } else if (p >= tailStart && this.#starts[data[p]!] === 1) {
        return [out(p), Buffer.from(data.subarray(p))];
      }
      if (length === 0 && singles[data[p]!] === 1) length = 1;
      if (length === 0) {
        p++;
        continue;
      }
      parts.push(data.subarray(copied, p), MASK);
      p += length;
      copied = p;
    }
    return [out(n), EMPTY];
  }

  /** #mask for a few secrets: one native indexOf per secret beats a scan in JavaScript. */
  #maskFew(data: Buffer, final: boolean): [Buffer, Buffer] {
    const parts: Buffer[] = [];
    const next = this.#secrets.map((s) => data.indexOf(s)); // next full occurrence of each, -1 = none
    const maxLen = this.#secrets[0]!.length;
    const tailStart = final ? data.length : Math.max(0, data.length - maxLen + 1);
    let pos = 0;
    for (;;) {
      // The leftmost full occurrence at or after pos; the longest at that position (secrets are sorted).
      let at = -1;
      let len = 0;
      for (let i = 0; i < this.#secrets.length; i++) {
        let idx = next[i]!;
        if (idx !== -1 && idx < pos) next[i] = idx = data.indexOf(this.#secrets[i]!, pos);
        if (idx !== -1 && (at === -1 || idx < at)) {
          at = idx;
          len = this.#secrets[i]!.length;
        }
      }
      // A position whose outcome depends on bytes not yet seen stops us: only near the end.
      const stop = this.#firstUndecided(data, Math.max(pos, tailStart), at === -1 ? data.length - 1 : at);
      if (stop !== -1) {
        parts.push(data.subarray(pos, stop));
        return [parts.length === 1 ? parts[0]! : Buffer.concat(parts), Buffer.from(data.subarray(stop))];
      }
      if (at === -1) {
        // No secret in the chunk (the usual case): the chunk itself, not a copy of it.
        if (parts.length === 0) return [pos === 0 ? data : data.subarray(pos), EMPTY];
        parts.push(data.subarray(pos));
        return [Buffer.concat(parts), EMPTY];
      }
      parts.push(data.subarray(pos, at), MASK);
      pos = at + len;
    }
  }

  /**
   * The first position in [from, to] where the remaining bytes are a proper prefix of a secret; -1
   * if none. Each secret's first HEAD bytes are looked for with indexOf (native) rather than tried
   * at every position: a long secret (a private key, a file) would otherwise cost a comparison per
   * secret at each byte of every chunk.
   */
  #firstUndecided(data: Buffer, from: number, to: number): number {
    let first = -1;
    const last = Math.min(to, data.length - 1);
    for (const s of this.#secrets) {
      const start = Math.max(from, data.length - s.length + 1);
      const stop = first === -1 ? last : Math.min(last, first - 1);
      if (start > stop) continue;
      const head = s.subarray(0, Math.min(HEAD, s.length));
      // Positions with at least HEAD bytes left: only where the head occurs.
      for (let p = data.indexOf(head, start); p !== -1 && p <= stop && data.length - p >= head.length; p = data.indexOf(head, p + 1)) {
        if (data.compare(s, 0, data.length - p, p, data.length) === 0) {
          first = p;
          break;
        }
      }
      // The last few positions: fewer bytes left than the head.
      const end = first === -1 ? stop : Math.min(stop, first - 1);
      for (let p = Math.max(start, data.length - head.length + 1); p <= end; p++) {
        if (data.compare(s, 0, data.length - p, p, data.length) === 0) {
          first = p;
          break;
        }
      }
    }
    return first;
  }
}

/**
 * Whether data[at, at + count) equals secret[0, count). A loop, not Buffer.compare: most candidates
 * differ within a few bytes, and compare's own checks cost more than that.
 */
function sameBytes(data: Buffer, at: number, secret: Buffer, count: number): boolean {
  for (let i = 2; i < count; i++) if (data[at + i] !== secret[i]) return false; // the first two matched already
  return true;
}
