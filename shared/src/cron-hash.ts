/**
 * The `H` of Jenkins cron specs: hudson.scheduler.Hash, a stable pseudo-random stream seeded
 * from the job's full name, driving an exact emulation of java.util.Random.
 *
 *   d = MD5(UTF-8 seed); d[i % 8] ^= d[i] for i in 8..15; l = d[0..7] as a big-endian signed long;
 *   rnd = new java.util.Random(l); next(n) = rnd.nextInt(n)
 *
 * One CronHash instance is shared by every H of a spec, in parse order, across its lines.
 */
import { createHash } from 'node:crypto';

/** What the parser asks of a hash: an integer in [0, n). */
export interface CronHash {
  next(n: number): number;
}

const MULTIPLIER = 0x5deece66dn;
const ADDEND = 0xbn;
const MASK_48 = (1n << 48n) - 1n;

/** java.util.Random, bit for bit (the legacy LCG that Random.nextInt(int) still uses). */
export class JavaRandom {
  #seed: bigint;

  /** @param seed a Java long; values outside the signed 64-bit range wrap as Java would. */
  constructor(seed: bigint | number) {
    this.#seed = (BigInt.asIntN(64, BigInt(seed)) ^ MULTIPLIER) & MASK_48;
  }

  /** Random.next(bits): advance the LCG and return its top `bits` bits as a Java int. */
  next(bits: number): number {
    this.#seed = (this.#seed * MULTIPLIER + ADDEND) & MASK_48;
    return Number(BigInt.asIntN(32, this.#seed >> BigInt(48 - bits)));
  }

  /** Random.nextInt(): a full 32-bit signed int. */
  nextIntUnbounded(): number {
    return this.next(32);
  }

  /** Random.nextInt(bound), including its power-of-two shortcut and rejection loop. */
  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0 || bound > 0x7fffffff) {
      throw new RangeError('bound must be positive');
    }
    let r = this.next(31);
    const m = bound - 1;
    if ((bound & m) === 0) return Number((BigInt(bound) * BigInt(r)) >> 31n);
    // for (int u = r; u - (r = u % bound) + m < 0; u = next(31));  -- the test overflows int on purpose
    for (let u = r; ((u - (r = u % bound) + m) | 0) < 0; u = this.next(31));
    return r;
  }
}

/** The Java long that Hash.from(seed) feeds to java.util.Random. */
export function hashSeedLong(seed: string): bigint {
  const digest = createHash('md5').update(seed, 'utf8').digest();
  for (let i = 8; i < digest.length; i++) digest[i % 8] = (digest[i % 8] ?? 0) ^ (digest[i] ?? 0);
  let l = 0n;
  for (let i = 0; i < 8; i++) l = (l << 8n) | BigInt(digest[i] ?? 0);
  return BigInt.asIntN(64, l);
}

/** Hash.from(seed): a fresh stream; share the instance across all lines of one spec. */
export function hashFromSeed(seed: string): CronHash {
  const rnd = new JavaRandom(hashSeedLong(seed));
  return { next: (n: number) => rnd.nextInt(n) };
}

/** Hash.zero(): used when there is no job, so every H picks its lower bound. */
export const ZERO_HASH: CronHash = Object.freeze({ next: (_n: number) => 0 });
