/**
 * A Redis connection that keeps the connections duplicated from it (BullMQ makes one per Worker
 * for its blocking reads and one per QueueEvents; the work loop one for announcements), so that
 * closing it closes them all: none reconnects after `disconnectAll()`. A copy left open whose Redis
 * user was deleted (a new secret, a deleted agent) would otherwise reconnect, refused, for as long
 * as the process lives — and keep it alive.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** ioredis' own back-off (2^n × 50 ms, jitter), capped at 2 s: a refused user is asked for again soon. */
const backoff = (times: number) => Math.min(2 ** (times - 1) * 50, 2000) + Math.floor(Math.random() * 200);

export class RedisFamily extends Redis {
  readonly #copies = new Set<Redis>();
  readonly #family: { closed: boolean };

  constructor(url: string, options: RedisOptions) {
    // Copies are made from this connection's options, this retry strategy among them: once the
    // family is closed, no member tries again (a reconnect already due ends at its next attempt).
    const family = { closed: false };
    const retryStrategy = (times: number) => (family.closed ? null : backoff(times));
    super(url, { ...options, retryStrategy } as RedisOptions & { replyMapping?: 'legacy' });
    this.#family = family;
  }

  /** A copy, whose retry strategy (BullMQ brings its own for blocking reads) also stops once the family is closed. */
  override duplicate(override?: Parameters<Redis['duplicate']>[0]): Redis {
    const family = this.#family;
    const own = override?.retryStrategy ?? backoff;
    const copy = super.duplicate({ ...override, retryStrategy: (times: number) => (family.closed ? null : own(times)) });
    this.#copies.add(copy);
    return copy;
  }

  /** Connections made from this one and not yet ended (BullMQ marks one it quit 'end' itself, without the event). */
  get copies(): number {
    for (const copy of this.#copies) if (copy.status === 'end') this.#copies.delete(copy);
    return this.#copies.size;
  }

  /** Drops this connection and every copy, without waiting for Redis; none reconnects. */
  disconnectAll(): void {
    this.#family.closed = true;
    for (const member of [...this.#copies, this]) {
      member.disconnect();
      // Waiting to reconnect, ioredis only cancels the attempt and stays 'reconnecting' for ever,
      // its commands (BullMQ's QUIT) unanswered: one attempt now ends it (a refused one, as a
      // manual close, or a successful one, dropped at once), and answers them.
      if (member.status === 'reconnecting') member.connect().then(() => member.disconnect(), () => {});
    }
  }
}
