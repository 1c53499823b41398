import Router from '@koa/router';
import { requireUser } from '../auth/authenticate.ts';
import type { JobsService } from '../jobs/jobs.ts';
import type { ScmPolling } from './scm-polling.ts';

/** A job's "Git Polling Log": the last Poll SCM run's log, as plain text. */
export function scmRoutes(jobs: JobsService, polling: ScmPolling): Router {
  const r = new Router({ prefix: '/api/jobs/:name' });
  r.get('/scm-polling-log', requireUser, async (ctx) => {
    const stored = await jobs.find(ctx.params.name!);
    const last = await polling.pollingLog(stored.id);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = last ? last.log : 'Polling has not run yet.\n';
  });
  return r;
}
