/** Jenkins' permalinks (`/job/X/lastBuild`…): each names the newest build that passes its filter. */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

/** Each permalink as a filter on numbered builds (`b`). A Map: refs come from URLs, and `__proto__` is no permalink. */
export const PERMALINKS = new Map<string, ReturnType<typeof sql.fragment>>([
  ['lastBuild', sql.fragment`b.number IS NOT NULL`],
  ['lastCompletedBuild', sql.fragment`b.state = 'finished'`],
  ['lastSuccessfulBuild', sql.fragment`b.result = 'SUCCESS'`],
  ['lastStableBuild', sql.fragment`b.result = 'SUCCESS'`],
  ['lastUnstableBuild', sql.fragment`b.result = 'UNSTABLE'`],
  ['lastFailedBuild', sql.fragment`b.result = 'FAILURE'`],
  ['lastUnsuccessfulBuild', sql.fragment`b.result IN ('UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED')`],
]);

export type Permalinks = Record<string, number | null>;

/** The build number each permalink of a job names, or null where no build qualifies (one scan of the job's builds). */
export async function permalinksOf(db: CommonQueryMethods, jobId: number): Promise<Permalinks> {
  const names = [...PERMALINKS.keys()];
  const columns = sql.join(names.map((n) => sql.fragment`max(b.number) FILTER (WHERE ${PERMALINKS.get(n)!}) AS ${sql.identifier([n])}`), sql.fragment`, `);
  const row = await db.one(sql.type(z.record(z.string(), z.number().nullable()))`SELECT ${columns} FROM builds b WHERE b.job_id = ${jobId} AND b.number IS NOT NULL`);
  return Object.fromEntries(names.map((n) => [n, row[n] ?? null])) as Permalinks;
}
