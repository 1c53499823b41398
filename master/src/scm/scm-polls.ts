/** The scm_polls table's one owner: each job's last Poll SCM heads and log, and the tick claims. */
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';



// Row schemas are built once: zod compiles each new schema on its first parse.
const JobIdRow2 = z.object({ job_id: z.coerce.number() });
// Row schemas are built once: zod compiles each new schema on its first parse.
const JobIdRow = z.object({ job_id: z.coerce.number() });
const JobIdHeadsPolledAtRow = z.object({ job_id: z.coerce.number(), heads: z.record(z.string(), z.string()), polled_at: z.number().nullable() });
const LogPolledAtRow = z.object({ log: z.string(), polled_at: z.number().nullable() });
export type Heads = Record<string, string>;

export class ScmPolls {
  readonly #pool: DatabasePool;
  constructor(pool: DatabasePool) {
    this.#pool = pool;
  }

  /** Claims `minute`'s poll of each job; answers the ids this master claimed (another master took the rest). */
  async claim(jobIds: readonly number[], minute: Date): Promise<Set<number>> {
    if (jobIds.length === 0) return new Set();
    const ids = await this.#pool.anyFirst(sql.type(JobIdRow)`
      INSERT INTO scm_polls (job_id, claimed_minute) SELECT unnest(${sql.array([...jobIds], 'int8')}), ${minute.toISOString()}
      ON CONFLICT (job_id) DO UPDATE SET claimed_minute = EXCLUDED.claimed_minute
        WHERE scm_polls.claimed_minute IS NULL OR scm_polls.claimed_minute < EXCLUDED.claimed_minute
      RETURNING job_id`);
    return new Set(ids);
  }

  /** The heads each job's last poll saw; a job never polled is absent. */
  async heads(jobIds: readonly number[]): Promise<Map<number, Heads>> {
    if (jobIds.length === 0) return new Map();
    const rows = await this.#pool.any(sql.type(JobIdHeadsPolledAtRow)`
      SELECT job_id, heads, polled_at FROM scm_polls WHERE job_id = ANY(${sql.array([...jobIds], 'int8')})`);
    return new Map(rows.filter((r) => r.polled_at !== null || Object.keys(r.heads).length > 0).map((r) => [r.job_id, r.heads]));
  }

  /**
   * Moves the job's recorded heads from `before` (undefined: never polled) to `after`, only if no
   * other poll or push moved them meanwhile: the one poll that succeeds builds the change.
   */
  async advance(jobId: number, before: Heads | undefined, after: Heads): Promise<boolean> {
    const moved =
      before === undefined
        ? await this.#pool.maybeOneFirst(sql.type(JobIdRow2)`
            INSERT INTO scm_polls (job_id, heads, polled_at) VALUES (${jobId}, ${sql.jsonb(after)}, now())
            ON CONFLICT (job_id) DO UPDATE SET heads = EXCLUDED.heads, polled_at = EXCLUDED.polled_at
              WHERE scm_polls.polled_at IS NULL AND scm_polls.heads = '{}'::jsonb
            RETURNING job_id`)
        : await this.#pool.maybeOneFirst(sql.type(JobIdRow2)`
            UPDATE scm_polls SET heads = ${sql.jsonb(after)}, polled_at = now() WHERE job_id = ${jobId} AND heads = ${sql.jsonb(before)}::jsonb RETURNING job_id`);
    return moved !== null;
  }

  /** A poll's result: the heads it saw and its log. */
  async record(jobId: number, heads: Heads, log: string): Promise<void> {
    await this.#pool.query(sql.unsafe`
      INSERT INTO scm_polls (job_id, heads, log, polled_at) VALUES (${jobId}, ${sql.jsonb(heads)}, ${log}, now())
      ON CONFLICT (job_id) DO UPDATE SET heads = EXCLUDED.heads, log = EXCLUDED.log, polled_at = EXCLUDED.polled_at`);
  }

  /** A poll's log alone (its heads were advanced). */
  async writeLog(jobId: number, log: string): Promise<void> {
    await this.#pool.query(sql.unsafe`UPDATE scm_polls SET log = ${log}, polled_at = now() WHERE job_id = ${jobId}`);
  }

  /** A push built `ref` at `sha`: the next poll counts it as seen (in the caller's transaction, with the build). */
  async sawHead(db: CommonQueryMethods, jobId: number, ref: string, sha: string): Promise<void> {
    await db.query(sql.unsafe`
      INSERT INTO scm_polls (job_id, heads) VALUES (${jobId}, ${sql.jsonb({ [ref]: sha })})
      ON CONFLICT (job_id) DO UPDATE SET heads = scm_polls.heads || EXCLUDED.heads`);
  }

  /** The job's last polling log, or null before its first poll. */
  async log(jobId: number): Promise<{ log: string; polledAt: string } | null> {
    const row = await this.#pool.maybeOne(sql.type(LogPolledAtRow)`SELECT log, polled_at FROM scm_polls WHERE job_id = ${jobId}`);
    if (!row || row.polled_at === null) return null;
    return { log: row.log, polledAt: new Date(row.polled_at).toISOString() };
  }
}
