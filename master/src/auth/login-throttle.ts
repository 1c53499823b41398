/**
 * Throttles failed logins per username and per client address (people and agents alike), in
 * Redis so that every master sees the same counts. A success clears the username's count.
 */
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '../errors.ts';

export interface ThrottleLimits {
  /** Failed logins allowed for one username within the window. */
  perName: number;
  /** Failed logins allowed from one address within the window. */
  perAddress: number;
  windowSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { perName: 5, perAddress: 50, windowSeconds: 15 * 60 };

export class LoginThrottle {
  readonly #byName: RateLimiterRedis;
  readonly #byAddress: RateLimiterRedis;

  constructor(redis: Redis, keyPrefix: string, limits: ThrottleLimits = DEFAULT_THROTTLE) {
    const common = { storeClient: redis, duration: limits.windowSeconds, useRedisPackage: false };
    this.#byName = new RateLimiterRedis({ ...common, keyPrefix: `${keyPrefix}login-fail-name`, points: limits.perName });
    this.#byAddress = new RateLimiterRedis({ ...common, keyPrefix: `${keyPrefix}login-fail-addr`, points: limits.perAddress });
  }

  /** Throws 429 with Retry-After when this name or address has used up its failures. */
  async check(kind: string, name: string, address: string): Promise<void> {
    const [byName, byAddress] = await Promise.all([this.#byName.get(nameKey(kind, name)), this.#byAddress.get(address)]);
    const blocked = [byName, byAddress].filter(
      (r): r is RateLimiterRes => r !== null && r.consumedPoints >= (r === byName ? this.#byName.points : this.#byAddress.points),
    );
    if (blocked.length > 0) {
      const retryAfter = Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000;
      throw new TooManyRequestsError('Too many failed login attempts; try again later', retryAfter);
    }
  }

  async recordFailure(kind: string, name: string, address: string): Promise<void> {
    await Promise.all([
      this.#byName.penalty(nameKey(kind, name), 1),
      this.#byAddress.penalty(address, 1),
    ]);
  }

  async recordSuccess(kind: string, name: string): Promise<void> {
    await this.#byName.delete(nameKey(kind, name));
  }
}

const nameKey = (kind: string, name: string) => `${kind}:${name.toLowerCase()}`;
