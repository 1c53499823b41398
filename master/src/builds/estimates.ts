import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';

// Row schemas are built once: zod compiles each new schema on its first parse.
const MsRow = z.object({ ms: z.number().nullable() });
/** Jenkins' estimate: the mean duration of the last 3 successful (or else any finished) builds of a job. */
export async function estimatedDurationMs(pool: DatabasePool, jobId: number): Promise<number | null> {
  const ms = await pool.maybeOneFirst(sql.type(MsRow)`
    SELECT avg(extract(epoch FROM finished_at - started_at) * 1000)::float8 AS ms FROM (
      SELECT started_at, finished_at FROM builds WHERE job_id = ${jobId} AND state = 'finished' AND started_at IS NOT NULL
      ORDER BY (result = 'SUCCESS') DESC, number DESC LIMIT 3) x`);
  return ms === null ? null : Math.round(ms);
}

const Running = z.object({ agent_name: z.string(), executor: z.number(), job_id: z.coerce.number(), job: z.string(), number: z.number(), started_at: z.number() });

/** What every busy executor runs, for the Build Executor Status panel. */
export async function busyExecutors(pool: DatabasePool) {
  const rows = await pool.any(sql.type(Running)`
    SELECT b.agent_name, b.executor, b.job_id, j.name AS job, b.number, b.started_at
    FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.state = 'running' ORDER BY b.agent_name, b.executor`);
  const estimates = new Map<number, number | null>();
  for (const r of rows) if (!estimates.has(r.job_id)) estimates.set(r.job_id, await estimatedDurationMs(pool, r.job_id));
  return rows.map((r) => ({
    agent: r.agent_name,
    executor: r.executor,
    job: r.job,
    number: r.number,
    startedAt: new Date(r.started_at).toISOString(),
    estimatedDurationMs: estimates.get(r.job_id) ?? null,
  }));
}
