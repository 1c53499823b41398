/**
 * Jenkins' queue: `/queue/api/json` (waiting, blocked and buildable items, never left ones),
 * `/queue/item/N/api/json` (with `executable` once the build started; kept, not dropped after
 * five minutes as in Jenkins), and cancelling: python-jenkins' `cancelItem?id=` (204) and node
 * `jenkins`' `item/N/cancelQueue` (which requires a 302).
 */
import Router from '@koa/router';
import { requireUser } from '../auth/authenticate.ts';
import { ValidationError } from '../errors.ts';
import { answerApi, jenkinsErrors, redirect, requiredParam } from './jenkins-http.ts';
import type { JenkinsDeps } from './jenkins-deps.ts';
import { exported, lazy } from './exported.ts';
import type { ParameterDefinition } from '../../../shared/src/job.ts';
import { queueItemJson, type QueueItemInput } from './shapes.ts';
import { visibleParameters } from '../builds/builds.ts';

function queueId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new ValidationError(`Queue item ids are numbers, got '${raw}'`);
  return Number(raw);
}

export function queueRoutes(deps: JenkinsDeps): Router {
  const { builds, jobs } = deps;
  const r = new Router({ prefix: '/queue' });
  r.use(jenkinsErrors, requireUser);

  /**
   * The items' shapes from their rows, the queue's `why` and their jobs' parameter definitions:
   * the job list, the queue and each job are read once per answer, however many items it holds.
   */
  const items = async (ids: number[], queued?: Awaited<ReturnType<typeof builds.queue>>): Promise<QueueItemInput[]> => {
    const rows = await Promise.all(ids.map((id) => builds.rowById(id)));
    const summaries = await jobs.list();
    const whys = rows.some((r) => r.state === 'queued') ? new Map((queued ?? (await builds.queue())).map((q) => [q.id, q.why])) : new Map<number, string>();
    const definitions = new Map<string, Promise<ParameterDefinition[]>>();
    const definitionsOf = (job: string) => definitions.get(job) ?? definitions.set(job, jobs.find(job).then((s) => s.job.parameters)).get(job)!;
    return Promise.all(
      rows.map(async (row) => ({
        id: row.id,
        job: summaries.find((s) => s.name === row.job_name) ?? null,
        jobName: row.job_name,
        state: row.state,
        why: row.state === 'queued' ? (whys.get(row.id) ?? 'Waiting') : null,
        queuedAt: row.queued_at,
        notBefore: row.not_before,
        causes: row.causes,
        // Password values are sealed: never shown (parametersAction leaves their value out).
        parameters: visibleParameters(row),
        definitions: await definitionsOf(row.job_name),
        number: row.number,
      })),
    );
  };

  r.get('/api/:format', async (ctx) => {
    const root = await deps.publicUrl();
    const model = exported('hudson.model.Queue', {
      discoverableItems: [],
      items: lazy(async () => {
        const queued = await builds.queue();
        return (await items(queued.map((q) => q.id), queued)).map((q) => queueItemJson(root, q));
      }),
    });
    await answerApi(ctx, model, ctx.params.format);
  });
  r.get('/item/:id/api/:format', async (ctx) => {
    const [item] = await items([queueId(ctx.params.id!)]);
    await answerApi(ctx, queueItemJson(await deps.publicUrl(), item!), ctx.params.format);
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
