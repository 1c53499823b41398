/**
 * Decides which queued builds go on the BullMQ queue. A non-concurrent job lets only its oldest
 * queued build onto the queue, and only while none of its builds runs; the others wait in
 * PostgreSQL (their `why` says so) and are dispatched when the running one ends. The sweep also
 * refills Redis after it lost its data: every eligible queued build is (re-)added, idempotently.
 */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { BuildQueue } from '../queue/build-queue.ts';
import type { Logger } from '../log.ts';

const Eligible = z.object({ id: z.coerce.number(), label: z.string(), delay_ms: z.number() });

export class Dispatcher {
  readonly #pool: DatabasePool;
  readonly #queue: BuildQueue;
  readonly #log: Logger;
  constructor(pool: DatabasePool, queue: BuildQueue, log: Logger) {
    this.#pool = pool;
    this.#queue = queue;
    this.#log = log;
  }

  /** Puts every eligible queued build of one job (or of all jobs) on the queue. */
  async dispatch(jobId?: number): Promise<number> {
    const rows = await this.#pool.any(sql.type(Eligible)`
      SELECT b.id, b.label, greatest(0, extract(epoch FROM b.not_before - now()) * 1000)::float8 AS delay_ms
      FROM builds b JOIN jobs j ON j.id = b.job_id
      WHERE b.state = 'queued' AND (${jobId ?? null}::bigint IS NULL OR b.job_id = ${jobId ?? null}::bigint)
        AND (coalesce((j.config ->> 'concurrentBuild')::boolean, false)
             OR (NOT EXISTS (SELECT 1 FROM builds r WHERE r.job_id = b.job_id AND r.state = 'running')
                 AND b.id = (SELECT min(q.id) FROM builds q WHERE q.job_id = b.job_id AND q.state = 'queued')))
      ORDER BY b.id`);
    for (const row of rows) await this.#queue.enqueue(row.id, row.label, row.delay_ms);
    return rows.length;
  }

  /** The periodic safety net (and the start-up refill): all jobs, logging only failures. */
  async sweep(): Promise<void> {
    await this.dispatch().catch((err) => this.#log.warn({ err: (err as Error).message }, 'queue sweep failed'));
  }
}
