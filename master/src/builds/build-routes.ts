/**
 * Builds of a job, for people (and the remote trigger, for scripts holding the job's token): a
 * route parses, calls one service, shapes the answer. The queue: queue-routes.ts.
 */
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { ArtifactsService } from '../artifacts/artifacts.ts';
import { principalOf, requireUser } from '../auth/authenticate.ts';
import { ForbiddenError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import type { JobsService } from '../jobs/jobs.ts';
import type { BuildsService } from './builds.ts';
import { parseTriggerForm } from './uploads.ts';

const TriggerBody = z.strictObject({ parameters: z.record(z.string(), z.unknown()).default({}) });
const ChangesQuery = z.object({ limit: z.coerce.number().int().min(1).max(50).default(20) });
const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).optional(),
});

/** "Trigger builds remotely": a build request that carries the job's token instead of a login. */
export function isRemoteTrigger(ctx: Context): boolean {
  return (ctx.method === 'POST' || ctx.method === 'GET') && /^\/api\/jobs\/[^/]+\/builds$/.test(ctx.path) && typeof ctx.query.token === 'string';
}

export function buildRoutes(deps: { builds: BuildsService; jobs: JobsService; artifacts: ArtifactsService}): Router {
  const { builds, jobs, artifacts } = deps;
  const r = new Router({ prefix: '/api' });
  const queued = (ctx: Context, queueId: number) => {
    ctx.status = 201;
    ctx.set('Location', `/api/queue/${queueId}`);
    ctx.body = { queueId };
  };

  // Remote triggers first: they are the only requests here without a person behind them.
  const remoteTrigger = async (ctx: Context, next: Next) => {
    if (!isRemoteTrigger(ctx)) return next();
    const name = ctx.params.name!;
    if (!(await jobs.remoteTokenMatches(name, String(ctx.query.token)))) throw new ForbiddenError('Invalid token provided.');
    const given = { ...ctx.query, ...(ctx.method === 'POST' && ctx.request.body && typeof ctx.request.body === 'object' ? (ctx.request.body as { parameters?: object }).parameters : {}) };
    delete given.token;
    queued(ctx, await builds.trigger(name, given, { kind: 'remote', address: ctx.ip }));
  };
  r.post('/jobs/:name/builds', remoteTrigger);
  r.get('/jobs/:name/builds', remoteTrigger);
  r.use(requireUser);

  r.post('/jobs/:name/builds', async (ctx) => {
    const cause = { kind: 'user', userId: principalOf(ctx).name } as const;
    if (!ctx.is('multipart/form-data')) {
      queued(ctx, await builds.trigger(ctx.params.name!, parseInput(TriggerBody, ctx.request.body ?? {}).parameters, cause));
      return;
    }
    // One part per parameter, named after it; file parameters as file parts. A missing job, or a
    // file for what is not a file parameter, is refused before any byte of it is spooled.
    const { job } = await jobs.find(ctx.params.name!);
    const fileParameters = new Set(job.parameters.filter((p) => p.type === 'file').map((p) => p.name));
    const form = await parseTriggerForm(ctx.req, ctx.headers, { fileParameters });
    try {
      queued(ctx, await builds.trigger(ctx.params.name!, form.fields, cause, form.files));
    } finally {
      await form.cleanup();
    }
  });
  r.get('/jobs/:name/builds', async (ctx) => {
    const q = parseInput(ListQuery, ctx.query, 'query');
    ctx.body = { builds: await builds.list(ctx.params.name!, q.limit, q.before) };
  });
  r.get('/jobs/:name/changes', async (ctx) => {
    const { limit } = parseInput(ChangesQuery, ctx.query, 'query');
    ctx.body = { builds: await builds.recentChanges(ctx.params.name!, limit) };
  });
  r.get('/jobs/:name/builds/:ref', async (ctx) => {
    const build = await builds.get(ctx.params.name!, ctx.params.ref!);
    ctx.body = { ...build, artifacts: (await artifacts.list(build.queueId)).map(({ path, size, sha256 }) => ({ path, size, sha256 })) };
  });
  r.post('/jobs/:name/builds/:ref/abort', async (ctx) => {
    await builds.abort(ctx.params.name!, ctx.params.ref!, principalOf(ctx).name);
    ctx.status = 202;
    ctx.body = { aborting: true };
  });

  return r;
}
