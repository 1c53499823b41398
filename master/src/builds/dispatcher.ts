/**
 * Decides which queued builds go on the BullMQ queue. A non-concurrent job lets only its oldest
 * queued build onto the queue, and only while none of its builds runs; the others wait in
 * PostgreSQL (their `why` says so) and are dispatched when the running one ends. The sweep also
 * refills Redis after it lost its data, and re-adds builds an agent took and let go: every
 * eligible queued build whose queue job does not exist is added.
 * Between sweeps, a concurrent job's dispatch (after a trigger, after a build ended) adds only the
 * builds this master has not put on the queue since the last sweep: with N queued builds it would
 * otherwise cost N rows and N Redis calls per trigger and per finished build (N² for a burst of
 * triggers). A non-concurrent job has at most one eligible build, always (re-)added.
 */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { BuildQueue } from '../queue/build-queue.ts';
import type { Logger } from '../log.ts';
import { sqlTime, type Clock } from '../clock.ts';

const Eligible = z.object({ id: z.coerce.number(), label: z.string(), delay_ms: z.number() });

export class Dispatcher {
  readonly #pool: DatabasePool;
  readonly #queue: BuildQueue;
  readonly #log: Logger;
  readonly #now: Clock;
  /** Builds this master put on the queue since its last sweep (the sweep re-adds them all). */
  #enqueued = new Set<number>();
  constructor(pool: DatabasePool, queue: BuildQueue, log: Logger, now: Clock) {
    this.#pool = pool;
    this.#queue = queue;
    this.#log = log;
    this.#now = now;
  }

  /** Puts every eligible queued build of one job (or, a sweep, of all jobs) on the queue. */
  async dispatch(jobId?: number): Promise<number> {
    const sweep = jobId === undefined;
    const skip = sweep ? [] : [...this.#enqueued];
    const rows = await this.#pool.any(sql.type(Eligible)`
      SELECT b.id, b.label, greatest(0, extract(epoch FROM b.not_before - ${sqlTime(this.#now())}) * 1000)::float8 AS delay_ms
      FROM builds b JOIN jobs j ON j.id = b.job_id
      WHERE b.state = 'queued' AND (${jobId ?? null}::bigint IS NULL OR b.job_id = ${jobId ?? null}::bigint)
        AND (coalesce((j.config ->> 'concurrentBuild')::boolean, false) AND NOT (b.id = ANY(${sql.array(skip, 'int8')}))
             OR (NOT EXISTS (SELECT 1 FROM builds r WHERE r.job_id = b.job_id AND r.state = 'running')
                 AND b.id = (SELECT min(q.id) FROM builds q WHERE q.job_id = b.job_id AND q.state = 'queued')))
      ORDER BY b.id`);
    // A sweep adds only what the queue lacks (see the header); the others are known to be there.
    const lacking = sweep ? new Set(await this.#queue.missing(rows)) : undefined;
    const enqueued = sweep ? new Set<number>() : this.#enqueued;
    let added = 0;
    for (const row of rows) {
      if (!lacking || lacking.has(row.id)) {
        await this.#queue.enqueue(row.id, row.label, row.delay_ms);
        added++;
      }
      enqueued.add(row.id);
    }
    if (sweep) this.#enqueued = enqueued;
    return added;
  }

  /**
   * A build of `job` was just queued. A concurrent job's build without a quiet period is eligible
   * at once: it goes on the queue without asking PostgreSQL (a trigger's hot path); anything
   * else is decided by dispatch.
   */
  async queued(job: { id: number; concurrentBuild: boolean; quietPeriod: number; label: string }, buildId: number): Promise<void> {
    if (!job.concurrentBuild || job.quietPeriod > 0) {
      await this.dispatch(job.id);
      return;
    }
    await this.#queue.enqueue(buildId, job.label, 0);
    this.#enqueued.add(buildId);
  }

  /** The periodic safety net (and the start-up refill): all jobs, logging only failures. */
  async sweep(): Promise<void> {
    await this.dispatch().catch((err) => this.#log.warn({ err: (err as Error).message }, 'queue sweep failed'));
  }
}
