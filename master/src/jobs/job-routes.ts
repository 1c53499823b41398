import Router from '@koa/router';
import type { ArtifactsService } from '../artifacts/artifacts.ts';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { principalOf, requireUser } from '../auth/authenticate.ts';
import type { BuildsService } from '../builds/builds.ts';
import { parseTriggerForm } from '../builds/uploads.ts';
import type { EventBus } from '../events/event-bus.ts';
import { ForbiddenError, ValidationError } from '../errors.ts';
import { IncludeRegex, matchesView } from '../../../shared/src/view.ts';
import { parseInput } from '../http/validate.ts';
import type { BuildQueue } from '../queue/build-queue.ts';
import type { JobFilesService } from './job-files.ts';
import type { JobsService } from './jobs.ts';
import type { ViewsService } from '../views/views.ts';

const TriggerBody = z.strictObject({ parameters: z.record(z.string(), z.unknown()).default({}) });
const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).optional(),
});
/** `includeRegex`: the jobs a view with this expression would add (the view editor's preview). */
const JobsQuery = z.object({ view: z.string().max(200).optional(), includeRegex: IncludeRegex.optional() });
const jobPath = (name: string) => `/api/jobs/${encodeURIComponent(name)}`;

/** Jobs, their builds and the queue — for people (consoles: console/console-routes.ts). */
/** "Trigger builds remotely": a build request that carries the job's token instead of a login. */
export function isRemoteTrigger(ctx: Context): boolean {
  return (ctx.method === 'POST' || ctx.method === 'GET') && /^\/api\/jobs\/[^/]+\/builds$/.test(ctx.path) && typeof ctx.query.token === 'string';
}

/** A job file upload: its body is the file's bytes, whatever its content type (not parsed). */
export function isJobFileUpload(ctx: Context): boolean {
  return ctx.method === 'PUT' && /^\/api\/jobs\/[^/]+\/files\/./.test(ctx.path);
}

export function jobRoutes(jobs: JobsService, builds: BuildsService, queue: BuildQueue, jobFiles: JobFilesService, artifacts: ArtifactsService, views: ViewsService, events: EventBus): Router {
  const r = new Router({ prefix: '/api' });
  // Dashboards follow job definitions live (a new job appears, a disabled one greys out).
  const changed = (job: string) => events.publish({ type: 'job.changed', job });

  // Remote triggers first: they are the only requests here without a person behind them.
  const remoteTrigger = async (ctx: Context, next: Next) => {
    if (!isRemoteTrigger(ctx)) return next();
    const name = ctx.params.name!;
    if (!(await jobs.remoteTokenMatches(name, String(ctx.query.token)))) throw new ForbiddenError('Invalid token provided.');
    const given = { ...ctx.query, ...(ctx.method === 'POST' && ctx.request.body && typeof ctx.request.body === 'object' ? (ctx.request.body as { parameters?: object }).parameters : {}) };
    delete given.token;
    const queueId = await builds.trigger(name, given, { kind: 'remote', address: ctx.ip });
    ctx.status = 201;
    ctx.set('Location', `/api/queue/${queueId}`);
    ctx.body = { queueId };
  };
  r.post('/jobs/:name/builds', remoteTrigger);
  r.get('/jobs/:name/builds', remoteTrigger);
  r.use(requireUser);

  r.post('/jobs', async (ctx) => {
    const job = await jobs.create(ctx.request.body);
    queue.announceWorkConfigChange(); // its label expression may need a queue agents do not watch yet
    changed(job.name);
    ctx.status = 201;
    ctx.set('Location', jobPath(job.name));
    ctx.body = job;
  });
  /** `?view=NAME`: only the view's members ("All" is every job). */
  r.get('/jobs', async (ctx) => {
    const { view, includeRegex } = parseInput(JobsQuery, ctx.query, 'query');
    const inView = view === undefined ? undefined : await views.membership(view);
    const matched = includeRegex === undefined ? undefined : { jobs: [], includeRegex };
    const all = await jobs.list();
    ctx.body = { jobs: all.filter((j) => (inView?.(j.name) ?? true) && (matched ? matchesView(matched, j.name) : true)) };
  });
  r.get('/jobs/:name', async (ctx) => {
    ctx.body = await jobs.get(ctx.params.name!);
  });
  r.put('/jobs/:name', async (ctx) => {
    ctx.body = await jobs.update(ctx.params.name!, ctx.request.body);
    queue.announceWorkConfigChange();
    changed(ctx.params.name!);
  });
  r.delete('/jobs/:name', async (ctx) => {
    await artifacts.removeJob(await jobs.delete(ctx.params.name!));
    changed(ctx.params.name!);
    ctx.status = 204;
  });
  r.post('/jobs/:name/enable', async (ctx) => {
    ctx.body = await jobs.setDisabled(ctx.params.name!, false);
    changed(ctx.params.name!);
  });
  r.post('/jobs/:name/disable', async (ctx) => {
    ctx.body = await jobs.setDisabled(ctx.params.name!, true);
    changed(ctx.params.name!);
  });

  r.post('/jobs/:name/builds', async (ctx) => {
    const cause = { kind: 'user', userId: principalOf(ctx).name } as const;
    let queueId: number;
    if (ctx.is('multipart/form-data')) {
      // One part per parameter, named after it; file parameters as file parts. A missing job, or a
      // file for what is not a file parameter, is refused before any byte of it is spooled.
      const { job } = await jobs.find(ctx.params.name!);
      const fileParameters = new Set(job.parameters.filter((p) => p.type === 'file').map((p) => p.name));
      const form = await parseTriggerForm(ctx.req, ctx.headers, { fileParameters });
      try {
        queueId = await builds.trigger(ctx.params.name!, form.fields, cause, form.files);
      } finally {
        await form.cleanup();
      }
    } else {
      queueId = await builds.trigger(ctx.params.name!, parseInput(TriggerBody, ctx.request.body ?? {}).parameters, cause);
    }
    ctx.status = 201;
    ctx.set('Location', `/api/queue/${queueId}`);
    ctx.body = { queueId };
  });
  r.get('/jobs/:name/builds', async (ctx) => {
    const q = parseInput(ListQuery, ctx.query, 'query');
    ctx.body = { builds: await builds.list(ctx.params.name!, q.limit, q.before) };
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

  r.get('/jobs/:name/files', async (ctx) => {
    ctx.body = { files: await jobFiles.list(ctx.params.name!) };
  });
  r.put('/jobs/:name/files/*path', async (ctx) => {
    const length = ctx.get('content-length');
    const stored = await jobFiles.put(ctx.params.name!, String(ctx.params.path), ctx.req, length ? { declaredLength: Number(length) } : {});
    ctx.status = stored.created ? 201 : 200;
    ctx.body = { path: stored.path, size: stored.size, sha256: stored.sha256 };
  });
  r.get('/jobs/:name/files/*path', async (ctx) => {
    const file = await jobFiles.open(ctx.params.name!, String(ctx.params.path));
    ctx.type = 'application/octet-stream';
    ctx.length = file.size;
    ctx.body = file.stream;
  });
  r.delete('/jobs/:name/files/*path', async (ctx) => {
    await jobFiles.delete(ctx.params.name!, String(ctx.params.path));
    ctx.status = 204;
  });

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
