/**
 * Jenkins' queue: `/queue/api/json` (waiting, blocked and buildable items, never left ones),
 * `/queue/item/N/api/json` (with `executable` once the build started; kept, not dropped after
 * five minutes as in Jenkins), and cancelling: python-jenkins' `cancelItem?id=` (204) and node
 * `jenkins`' `item/N/cancelQueue` (which requires a 302).
 */
import Router from '@koa/router';
import { requireUser } from '../auth/authenticate.ts';
import { ValidationError } from '../errors.ts';
import { SecretBox } from '../secret-box.ts';
import { answerApi, jenkinsErrors, redirect, requiredParam } from './jenkins-http.ts';
import type { JenkinsDeps } from './jenkins-deps.ts';
import { exported, lazy } from './exported.ts';
import { queueItemJson, type QueueItemInput } from './shapes.ts';

function queueId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new ValidationError(`Queue item ids are numbers, got '${raw}'`);
  return Number(raw);
}

export function queueRoutes(deps: JenkinsDeps): Router {
  const { builds, jobs } = deps;
  const r = new Router({ prefix: '/queue' });
  r.use(jenkinsErrors, requireUser);

  /** The item's shape from its row, the queue's `why` and the job's parameter definitions. */
  const item = async (id: number, whys?: Map<number, string>): Promise<QueueItemInput> => {
    const row = await builds.rowById(id);
    const [summaries, stored] = await Promise.all([jobs.list(), jobs.find(row.job_name)]);
    const why = row.state === 'queued' ? (whys ?? new Map((await builds.queue()).map((q) => [q.id, q.why]))).get(id) ?? 'Waiting' : null;
    return {
      id,
      job: summaries.find((s) => s.name === row.job_name) ?? null,
      jobName: row.job_name,
      state: row.state,
      why,
      queuedAt: row.queued_at,
      notBefore: row.not_before,
      causes: row.causes,
      // Password values are sealed: never shown (parametersAction leaves their value out).
      parameters: Object.fromEntries(Object.entries(row.parameters).map(([k, v]) => [k, SecretBox.isSealed(v) ? '****' : v])),
      definitions: stored.job.parameters,
      number: row.number,
    };
  };

  r.get('/api/:format', async (ctx) => {
    const root = await deps.publicUrl();
    const model = exported('hudson.model.Queue', {
      discoverableItems: [],
      items: lazy(async () => {
        const queued = await builds.queue();
        const whys = new Map(queued.map((q) => [q.id, q.why]));
        return Promise.all(queued.map(async (q) => queueItemJson(root, await item(q.id, whys))));
      }),
    });
    await answerApi(ctx, model, ctx.params.format);
  });
  r.get('/item/:id/api/:format', async (ctx) => {
    await answerApi(ctx, queueItemJson(await deps.publicUrl(), await item(queueId(ctx.params.id!))), ctx.params.format);
  });
  r.post('/cancelItem', async (ctx) => {
    await builds.cancelQueued(queueId(requiredParam(ctx, 'id')));
    ctx.status = 204;
  });
  r.post('/item/:id/cancelQueue', async (ctx) => {
    await builds.cancelQueued(queueId(ctx.params.id!));
    redirect(ctx, '/queue/');
  });
  return r;
}
