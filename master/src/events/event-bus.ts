/**
 * Live events through Redis pub/sub, so that every master's viewers see what any master did.
 * Publishing never blocks or fails the caller: an event is a courtesy, PostgreSQL is the truth.
 */
import type { Redis } from 'ioredis';
import type { JonkkinsEvent } from '../../../shared/src/events.ts';
import type { Logger } from '../log.ts';

export interface EventPublisher {
  publish(event: JonkkinsEvent): void;
}

export class EventBus implements EventPublisher {
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channel: string;
  readonly #log: Logger;
  readonly #listeners = new Set<(e: JonkkinsEvent) => void>();
  #subscribed: Promise<unknown> | undefined;

  constructor(redis: Redis, prefix: string, log: Logger) {
    this.#pub = redis;
    this.#sub = redis.duplicate();
    this.#sub.on('error', () => {}); // the publisher connection's listener already reports outages
    this.#channel = `${prefix}events`;
    this.#log = log;
    this.#sub.on('message', (_channel: string, message: string) => {
      let event: JonkkinsEvent;
      try {
        event = JSON.parse(message) as JonkkinsEvent;
      } catch {
        return;
      }
      for (const listener of this.#listeners) listener(event);
    });
  }

  publish(event: JonkkinsEvent): void {
    this.#pub.publish(this.#channel, JSON.stringify(event)).catch((err: Error) => this.#log.debug({ err: err.message }, 'event not published'));
  }

  /** Calls `listener` for every event until the returned function is called. Resolves once subscribed. */
  async subscribe(listener: (e: JonkkinsEvent) => void): Promise<() => void> {
    this.#subscribed ??= this.#sub.subscribe(this.#channel);
    await this.#subscribed;
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#sub.disconnect();
  }
}
