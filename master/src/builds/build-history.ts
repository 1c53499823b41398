/**
 * Build History (Jenkins' /view/all/builds): every job's builds, running and finished, newest
 * first, paged back by queue id.
 */
import Router from '@koa/router';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { requireUser } from '../auth/authenticate.ts';
import { parseInput } from '../http/validate.ts';
import { BUILD_COLUMNS, BuildRow } from './build-rows.ts';
import { presentBuild } from './builds.ts';
import { estimatedDurationMs } from './estimates.ts';

const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** The queue id of the last build of the previous page. */
  before: z.coerce.number().int().min(1).optional(),
});

export async function buildHistory(pool: DatabasePool, limit: number, before: number | undefined) {
  const rows = await pool.any(sql.type(BuildRow)`
    SELECT ${BUILD_COLUMNS} FROM builds b JOIN jobs j ON j.id = b.job_id
    WHERE b.number IS NOT NULL AND (${before ?? null}::bigint IS NULL OR b.id < ${before ?? null}::bigint)
    ORDER BY b.id DESC LIMIT ${limit}`);
  // Estimates matter only while a build runs: one per job that has a running build on the page.
  const estimates = new Map<number, number | null>();
  for (const r of rows) if (r.state === 'running' && !estimates.has(r.job_id)) estimates.set(r.job_id, await estimatedDurationMs(pool, r.job_id));
  return rows.map((r) => presentBuild(r, estimates.get(r.job_id) ?? null));
}

export function buildHistoryRoutes(pool: DatabasePool): Router {
  const r = new Router();
  r.get('/api/builds', requireUser, async (ctx) => {
    const { limit, before } = parseInput(HistoryQuery, ctx.query, 'query');
    ctx.body = { builds: await buildHistory(pool, limit, before) };
  });
  return r;
}
