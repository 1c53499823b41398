/**
 * The outbox (sql/0020_outbox.sql): messages for services outside — Slack, mail, a forge's commit
 * status — written in the transaction that changed the build, sent after it committed by any
 * master. The one owner of the outbox table.
 *
 * Sending: a short transaction claims due rows (FOR UPDATE SKIP LOCKED, so masters never take the
 * same row) and marks them held for a lease; the HTTP or SMTP call runs with no database
 * connection held; a second short statement records the outcome. A master that dies mid-send
 * leaves its row held until the lease passes; then any master sends it (at least once in that
 * window: the service answered nothing we could record). Rows of one (kind, build, target) go out
 * in the order they were written: a build's end waits for its start (a Slack reply needs the
 * start message's thread).
 */
import { sqlTime, systemClock, type Clock } from '../clock.ts';
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { Logger } from '../log.ts';


// Row schemas are built once: zod compiles each new schema on its first parse.
const AnswerRow = z.object({ answer: z.unknown() });
/** One message to leave: `target` tells recipients of one kind apart (a publisher's index…). */
export interface OutboxEntry {
  kind: string;
  buildId: number;
  event: string;
  target?: string;
  /** What the sender needs; never a secret (senders read those when sending). */
  payload: object;
}

const OutboxRow = z.object({
  id: z.coerce.number(),
  kind: z.string(),
  build_id: z.coerce.number(),
  event: z.string(),
  target: z.string(),
  payload: z.unknown(),
  attempts: z.number(),
});

/** A claimed row, as a sender sees it. */
export interface OutboxMessage {
  id: number;
  kind: string;
  buildId: number;
  event: string;
  target: string;
  payload: unknown;
  /** 1 for the first try. */
  attempt: number;
}

/** The service asked us to wait (Slack's 429 Retry-After): try again after `afterMs`, not counted as a failure of the message. */
export class RetryLater extends Error {
  readonly afterMs: number;
  constructor(message: string, afterMs: number) {
    super(message);
    this.afterMs = afterMs;
  }
}

/** The service refused the message for good (a bad token, an unknown channel): no retry. */
export class PermanentFailure extends Error {}

export interface OutboxSender {
  /**
   * Sends one message; what it answers is kept as the row's answer. `earlier(event)` is the
   * answer of this build's `event` of the same kind and target (null if it was not sent).
   * Throws RetryLater, PermanentFailure, or anything else (tried again with backoff).
   */
  send(message: OutboxMessage, earlier: (event: string) => Promise<unknown>): Promise<unknown>;
  /** The message will not be sent (refused, or every attempt failed): tell the people who look (the build's console). */
  gaveUp?(message: OutboxMessage, reason: string): Promise<void>;
}

export interface OutboxOptions {
  /** Attempts before a message is given up (RetryLater waits do not count). */
  maxAttempts?: number;
  /** The first retry's wait; each next one doubles, up to maxBackoffMs. */
  firstBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a claimed row is held by the master sending it. */
  leaseMs?: number;
  /** Rows claimed at once. */
  batch?: number;
  /** How long sent and failed rows are kept (what was sent, and why not), in days. */
  keepDays?: number;
  /** The master's clock (createApp passes its own). */
  now?: Clock;
}

/** A master prunes old rows at most this often (any master may: the DELETE is idempotent). */
const PRUNE_EVERY_MS = 60 * 60_000;

export class Outbox {
  readonly #pool: DatabasePool;
  readonly #log: Logger;
  readonly #senders = new Map<string, OutboxSender>();
  readonly #maxAttempts: number;
  readonly #firstBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #leaseMs: number;
  readonly #batch: number;
  readonly #keepDays: number;
  /** The master's clock: every due, lease and retry time is read from it, not from PostgreSQL's now(). */
  readonly #now: Clock;
  #prunedAt = 0;
  #draining: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(pool: DatabasePool, log: Logger, opts: OutboxOptions = {}) {
    this.#pool = pool;
    this.#log = log;
    this.#maxAttempts = opts.maxAttempts ?? 8;
    this.#firstBackoffMs = opts.firstBackoffMs ?? 1_000;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 5 * 60_000;
    this.#leaseMs = opts.leaseMs ?? 2 * 60_000;
    this.#batch = opts.batch ?? 20;
    this.#keepDays = opts.keepDays ?? 7;
    this.#now = opts.now ?? systemClock;
  }

  /** The sender of one kind (each kind has one). */
  register(kind: string, sender: OutboxSender): void {
    if (this.#senders.has(kind)) throw new Error(`outbox kind ${kind} has a sender already`);
    this.#senders.set(kind, sender);
  }

  /** Writes messages in the caller's transaction; one already written for the same (kind, build, event, target) stays as it is. */
  async add(tx: CommonQueryMethods, entries: readonly OutboxEntry[]): Promise<void> {
    for (const e of entries) {
      await tx.query(sql.unsafe`
        INSERT INTO outbox (kind, build_id, event, target, payload, next_attempt_at)
        VALUES (${e.kind}, ${e.buildId}, ${e.event}, ${e.target ?? ''}, ${sql.jsonb(e.payload as never)}, ${sqlTime(this.#now())})
        ON CONFLICT (kind, build_id, event, target) DO NOTHING`);
    }
  }

  /** Sends what is due, in the background (after a commit that added rows, and on the maintenance timer). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drainAll()
      .catch((err) => this.#log.warn({ err: (err as Error).message }, 'sending the outbox failed'))
      .finally(() => {
        this.#draining = null;
      });
  }

  /** Sends what is due now and resolves once done (tests, and kick's loop). */
  async drain(): Promise<number> {
    let sent = 0;
    for (;;) {
      const claimed = await this.#claim();
      if (claimed.length === 0) return sent;
      await Promise.all(claimed.map((m) => this.#sendOne(m)));
      sent += claimed.length;
    }
  }

  /** Stops kicking and waits for a send in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#draining;
  }

  /** Deletes sent and failed rows of this outbox's kinds older than keepDays; answers how many. */
  async prune(): Promise<number> {
    const gone = await this.#pool.query(sql.unsafe`
      DELETE FROM outbox WHERE state <> 'pending' AND done_at < ${sqlTime(this.#now() - this.#keepDays * 86_400_000)}
        AND kind = ANY(${sql.array([...this.#senders.keys()], 'text')})`);
    return gone.rowCount;
  }

  async #drainAll(): Promise<void> {
    if (this.#now() - this.#prunedAt > PRUNE_EVERY_MS) {
      this.#prunedAt = this.#now();
      await this.prune();
    }
    do {
      this.#again = false;
      if (this.#stopped) return;
      await this.drain();
    } while (this.#again);
  }

  async #claim(): Promise<OutboxMessage[]> {
    const kinds = [...this.#senders.keys()];
    if (kinds.length === 0 || this.#stopped) return [];
    const now = this.#now();
    const rows = await this.#pool.any(sql.type(OutboxRow)`
      WITH due AS (
        SELECT o.id FROM outbox o
        WHERE o.state = 'pending' AND o.next_attempt_at <= ${sqlTime(now)} AND (o.claimed_until IS NULL OR o.claimed_until < ${sqlTime(now)})
          AND o.kind = ANY(${sql.array(kinds, 'text')})
          AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.kind = o.kind AND e.build_id = o.build_id AND e.target = o.target AND e.id < o.id AND e.state = 'pending')
        ORDER BY o.next_attempt_at, o.id
        LIMIT ${this.#batch}
        FOR UPDATE OF o SKIP LOCKED)
      UPDATE outbox SET claimed_until = ${sqlTime(now + this.#leaseMs)}, attempts = outbox.attempts + 1
      FROM due WHERE outbox.id = due.id
      RETURNING outbox.id, outbox.kind, outbox.build_id, outbox.event, outbox.target, outbox.payload, outbox.attempts`);
    return rows.map((r) => ({ id: r.id, kind: r.kind, buildId: r.build_id, event: r.event, target: r.target, payload: r.payload, attempt: r.attempts }));
  }

  async #sendOne(m: OutboxMessage): Promise<void> {
    const sender = this.#senders.get(m.kind)!;
    const earlier = (event: string) =>
      this.#pool.maybeOneFirst(sql.type(AnswerRow)`
        SELECT answer FROM outbox WHERE kind = ${m.kind} AND build_id = ${m.buildId} AND target = ${m.target} AND event = ${event} AND state = 'sent'`);
    try {
      const answer = await sender.send(m, earlier);
      await this.#pool.query(sql.unsafe`
        UPDATE outbox SET state = 'sent', answer = ${answer === undefined ? null : sql.jsonb(answer as never)}, claimed_until = NULL, done_at = ${sqlTime(this.#now())}, last_error = NULL
        WHERE id = ${m.id}`);
    } catch (err) {
      const reason = (err as Error).message;
      if (err instanceof RetryLater) {
        // The service's own pacing: the attempt is given back.
        await this.#retry(m.id, err.afterMs, reason, -1);
        return;
      }
      if (err instanceof PermanentFailure || m.attempt >= this.#maxAttempts) {
        await this.#pool.query(sql.unsafe`
          UPDATE outbox SET state = 'failed', claimed_until = NULL, done_at = ${sqlTime(this.#now())}, last_error = ${reason} WHERE id = ${m.id}`);
        this.#log.warn({ kind: m.kind, buildId: m.buildId, event: m.event, attempts: m.attempt, err: reason }, 'outbox message given up');
        await sender.gaveUp?.(m, reason).catch((e) => this.#log.warn({ err: (e as Error).message }, 'reporting a given-up message failed'));
        return;
      }
      await this.#retry(m.id, Math.min(this.#maxBackoffMs, this.#firstBackoffMs * 2 ** (m.attempt - 1)), reason, 0);
    }
  }

  async #retry(id: number, afterMs: number, reason: string, attemptsDelta: number): Promise<void> {
    await this.#pool.query(sql.unsafe`
      UPDATE outbox SET next_attempt_at = ${sqlTime(this.#now() + Math.round(afterMs))}, claimed_until = NULL,
        attempts = attempts + ${attemptsDelta}, last_error = ${reason}
      WHERE id = ${id}`);
    // Nobody kicks the outbox for a retry: a timer of this master does (the maintenance timer
    // would too, later), unless the master stops first — then another master's timer sends it.
    if (!this.#stopped) setTimeout(() => this.kick(), Math.max(0, afterMs) + 20).unref();
  }
}
