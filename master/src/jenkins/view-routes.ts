/**
 * Jenkins' views: `/view/<name>/api/json` (the all view answers as `all` and `All`), createView
 * (node `jenkins`' form: name, mode, json → 302), addJobToView / removeJobFromView, doDelete, and
 * config.xml (a ListView's name, description, jobNames and includeRegex) through the views service.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { ALL_VIEW, type View } from '../../../shared/src/view.ts';
import { requireUser } from '../auth/authenticate.ts';
import { ValidationError } from '../errors.ts';
import { escapeXml } from './exported.ts';
import { answerApi, jenkinsErrors, param, redirect, requiredParam } from './jenkins-http.ts';
import type { JenkinsDeps } from './jenkins-deps.ts';
import { sendXml } from './job-xml.ts';
import { ALL_VIEW_API_NAME, viewJson } from './shapes.ts';

const LIST_VIEW = 'hudson.model.ListView';
const isAll = (name: string) => name.toLowerCase() === ALL_VIEW.toLowerCase() || name.toLowerCase() === ALL_VIEW_API_NAME;
const viewPath = (name: string) => `/view/${encodeURIComponent(name)}/`;

export function viewRoutes(deps: JenkinsDeps): Router {
  const { views, jobs } = deps;
  const r = new Router();
  r.use(jenkinsErrors, requireUser);

  r.get('/view/:name/api/:format', async (ctx) => {
    const root = await deps.publicUrl();
    const name = ctx.params.name!;
    if (isAll(name)) return answerApi(ctx, viewJson(root, { name: ALL_VIEW, description: '', all: true }, () => jobs.list()), ctx.params.format);
    const view = await views.get(name);
    const inView = await views.membership(view.name);
    await answerApi(ctx, viewJson(root, view, async () => (await jobs.list()).filter((j) => inView(j.name))), ctx.params.format);
  });

  r.post('/createView', async (ctx) => {
    const name = requiredParam(ctx, 'name');
    if (ctx.is('text/xml', 'application/xml')) throw new ValidationError('Creating a view from config.xml is not supported yet: send the form fields name and mode=hudson.model.ListView');
    const mode = param(ctx, 'mode') ?? modeFromJson(param(ctx, 'json'));
    if (mode !== LIST_VIEW && mode !== 'list') throw new ValidationError(`Only list views are supported (mode=${LIST_VIEW}), not '${mode ?? ''}'`);
    const view = await views.create({ name });
    redirect(ctx, viewPath(view.name));
  });

  const change = async (ctx: Context, edit: (view: View, job: string) => View) => {
    const view = await views.get(ctx.params.name!);
    const { name: job } = await jobs.find(requiredParam(ctx, 'name')).then((s) => s.job);
    await views.update(view.name, edit(view, job));
    ctx.body = '';
  };
  r.post('/view/:name/addJobToView', (ctx) => change(ctx, (v, job) => ({ ...v, jobs: v.jobs.some((j) => j.toLowerCase() === job.toLowerCase()) ? v.jobs : [...v.jobs, job] })));
  r.post('/view/:name/removeJobFromView', (ctx) => change(ctx, (v, job) => ({ ...v, jobs: v.jobs.filter((j) => j.toLowerCase() !== job.toLowerCase()) })));

  r.post('/view/:name/doDelete', async (ctx) => {
    await views.delete(ctx.params.name!);
    redirect(ctx, '/');
  });

  r.get('/view/:name/config.xml', async (ctx) => {
    sendXml(ctx, viewXml(await views.get(ctx.params.name!)));
  });
  return r;
}

/** node `jenkins` sends the mode in the form's json field too: `{"name":…,"mode":…}`. */
function modeFromJson(json: string | undefined): string | undefined {
  if (json === undefined) return undefined;
  try {
    const mode = (JSON.parse(json) as { mode?: unknown }).mode;
    return typeof mode === 'string' ? mode : undefined;
  } catch {
    throw new ValidationError('The json form field is not JSON');
  }
}

/** A list view as Jenkins writes its config.xml. */
export function viewXml(view: View): string {
  const jobNames = view.jobs.map((j) => `\n    <string>${escapeXml(j)}</string>`).join('');
  return `<?xml version="1.1" encoding="UTF-8"?>
<hudson.model.ListView>
  <name>${escapeXml(view.name)}</name>
  <description>${escapeXml(view.description)}</description>
  <filterExecutors>false</filterExecutors>
  <filterQueue>false</filterQueue>
  <properties class="hudson.model.View$PropertyList"/>
  <jobNames>
    <comparator class="java.lang.String$CaseInsensitiveComparator"/>${jobNames}
  </jobNames>
  <jobFilters/>
  <columns/>
${view.includeRegex === null ? '' : `  <includeRegex>${escapeXml(view.includeRegex)}</includeRegex>\n`}  <recurse>false</recurse>
</hudson.model.ListView>
`;
}
