/**
 * Throttles what costs a password hash, in Redis so that every master sees the same counts
 * (OWASP, Authentication Cheat Sheet, "Login Throttling"): failed logins per name *and address*,
 * per address, and per name from everywhere together; and anonymous sign-ups per address.
 *
 * A name's failures never lock out an address that has not failed for it: anyone may send wrong
 * passwords for `admin`, but that must not keep the real admin, elsewhere, from logging in. So the
 * per-name count over all addresses only stops the addresses that took part (a distributed
 * guesser gets one try per address once it is used up). A success clears its name-and-address count.
 */
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '../errors.ts';

export interface ThrottleLimits {
  /** Failed logins allowed for one name from one address within the window. */
  perName: number;
  /** Failed logins allowed from one address, whatever the names, within the window. */
  perAddress: number;
  /** Failed logins for one name from all addresses together, before addresses that failed for it are stopped. */
  perNameAnywhere?: number;
  /** Anonymous registrations (each hashes a password) allowed from one address within the window. */
  signUpsPerAddress?: number;
  windowSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { perName: 5, perAddress: 50, perNameAnywhere: 100, signUpsPerAddress: 10, windowSeconds: 15 * 60 };

export class LoginThrottle {
  readonly #byNameAndAddress: RateLimiterRedis;
  readonly #byAddress: RateLimiterRedis;
  readonly #byName: RateLimiterRedis;
  readonly #signUps: RateLimiterRedis;

  constructor(redis: Redis, keyPrefix: string, limits: ThrottleLimits = DEFAULT_THROTTLE) {
    const common = { storeClient: redis, duration: limits.windowSeconds, useRedisPackage: false };
    const limiter = (name: string, points: number) => new RateLimiterRedis({ ...common, keyPrefix: `${keyPrefix}${name}`, points });
    this.#byNameAndAddress = limiter('login-fail-name-addr', limits.perName);
    this.#byAddress = limiter('login-fail-addr', limits.perAddress);
    this.#byName = limiter('login-fail-name', limits.perNameAnywhere ?? DEFAULT_THROTTLE.perNameAnywhere!);
    this.#signUps = limiter('sign-up-addr', limits.signUpsPerAddress ?? DEFAULT_THROTTLE.signUpsPerAddress!);
  }

  /** Throws 429 with Retry-After when this address may not try this name now. */
  async check(kind: string, name: string, address: string): Promise<void> {
    const [pair, byAddress, byName] = await Promise.all([
      this.#byNameAndAddress.get(pairKey(kind, name, address)),
      this.#byAddress.get(address),
      this.#byName.get(nameKey(kind, name)),
    ]);
    const used = (r: RateLimiterRes | null, limiter: RateLimiterRedis) => r !== null && r.consumedPoints >= limiter.points;
    const blocked: RateLimiterRes[] = [];
    if (used(pair, this.#byNameAndAddress)) blocked.push(pair!);
    if (used(byAddress, this.#byAddress)) blocked.push(byAddress!);
    if (used(byName, this.#byName) && pair !== null && pair.consumedPoints > 0) blocked.push(byName!);
    if (blocked.length > 0) {
      const retryAfter = Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000;
      throw new TooManyRequestsError('Too many failed login attempts; try again later', retryAfter);
    }
  }

  /** Runs a credential check under the throttle: blocked → 429; a 401 counts as a failure; a success clears. */
  async attempt<T>(kind: string, name: string, address: string, check: () => Promise<T>): Promise<T> {
    await this.check(kind, name, address);
    try {
      const result = await check();
      await this.recordSuccess(kind, name, address);
      return result;
    } catch (err) {
      if ((err as { status?: number }).status === 401) await this.recordFailure(kind, name, address);
      throw err;
    }
  }

  async recordFailure(kind: string, name: string, address: string): Promise<void> {
    await Promise.all([
      this.#byNameAndAddress.penalty(pairKey(kind, name, address), 1),
      this.#byAddress.penalty(address, 1),
      this.#byName.penalty(nameKey(kind, name), 1),
    ]);
  }

  async recordSuccess(kind: string, name: string, address: string): Promise<void> {
    await this.#byNameAndAddress.delete(pairKey(kind, name, address));
  }

  /** Counts an anonymous registration from this address; 429 once the address has used its allowance. */
  async signUp(address: string): Promise<void> {
    try {
      await this.#signUps.consume(address, 1);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new TooManyRequestsError('Too many accounts created from this address; try again later', err.msBeforeNext / 1000);
    }
  }
}

const nameKey = (kind: string, name: string) => `${kind}:${name.toLowerCase()}`;
const pairKey = (kind: string, name: string, address: string) => `${nameKey(kind, name)}@${address}`;
