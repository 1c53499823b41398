/** The build queue, for people: the items with Jenkins' `why`, one item, cancelling one. */
import Router from '@koa/router';
import { requireUser } from '../auth/authenticate.ts';
import { ValidationError } from '../errors.ts';
import type { BuildsService } from './builds.ts';

export function queueRoutes(builds: BuildsService): Router {
  const r = new Router({ prefix: '/api' });
  r.use(requireUser);
  r.get('/queue', async (ctx) => {
    ctx.body = { items: await builds.queue() };
  });
  r.get('/queue/:id', async (ctx) => {
    ctx.body = await builds.queueItem(queueId(ctx.params.id!));
  });
  r.delete('/queue/:id', async (ctx) => {
    await builds.cancelQueued(queueId(ctx.params.id!));
    ctx.status = 204;
  });
  return r;
}

function queueId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new ValidationError(`Queue item ids are numbers, got '${raw}'`);
  return Number(raw);
}
