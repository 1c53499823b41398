/**
 * Jobs, for people: a route parses, calls the jobs service, shapes the answer (the service tells
 * dashboards and agents, and takes a deleted job's builds and artifact files with it). Builds of
 * a job: builds/build-routes.ts; its files: job-file-routes.ts.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { requireUser } from '../auth/authenticate.ts';
import { IncludeRegex, matchesView } from '../../../shared/src/view.ts';
import { parseInput } from '../http/validate.ts';
import type { ViewsService } from '../views/views.ts';
import type { JobsService } from './jobs.ts';

/** `includeRegex`: the jobs a view with this expression would add (the view editor's preview). */
const JobsQuery = z.object({ view: z.string().max(200).optional(), includeRegex: IncludeRegex.optional() });
const jobPath = (name: string) => `/api/jobs/${encodeURIComponent(name)}`;

export function jobRoutes(jobs: JobsService, views: ViewsService): Router {
  const r = new Router({ prefix: '/api' });
  r.use(requireUser);
  r.post('/jobs', async (ctx) => {
    const job = await jobs.create(ctx.request.body);
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
    const { job, changed } = await jobs.update(ctx.params.name!, ctx.request.body);
    // Jobs as code (`jonkkins apply`) report what changed; the body stays the job document.
    ctx.set('Jonkkins-Job-Changed', String(changed));
    ctx.body = job;
  });
  r.delete('/jobs/:name', async (ctx) => {
    await jobs.delete(ctx.params.name!);
    ctx.status = 204;
  });
  r.post('/jobs/:name/enable', async (ctx) => {
    ctx.body = await jobs.setDisabled(ctx.params.name!, false);
  });
  r.post('/jobs/:name/disable', async (ctx) => {
    ctx.body = await jobs.setDisabled(ctx.params.name!, true);
  });
  return r;
}
