/**
 * Jenkins' views: `/view/<name>/api/json` (the all view answers as `all` and `All`), createView
 * (node `jenkins`' form: name, mode, json → 302; python-jenkins' config.xml body → 200),
 * addJobToView / removeJobFromView, doDelete, and config.xml GET and POST (view-xml.ts), through
 * the views service.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { ALL_VIEW, type View } from '../../../shared/src/view.ts';
import { requireUser } from '../auth/authenticate.ts';
import { ValidationError } from '../errors.ts';
import { answerApi, jenkinsErrors, param, redirect, requiredParam } from './jenkins-http.ts';
import type { JenkinsDeps } from './jenkins-deps.ts';
import { sendXml, xmlBody } from './job-xml.ts';
import { parseViewXml, renderViewXml } from './view-xml.ts';
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
    // python-jenkins' create_view: the view's config.xml as the body (200), as Jenkins answers it.
    if (ctx.is('text/xml', 'application/xml')) {
      await views.create({ ...parseViewXml(xmlBody(ctx), name), name });
      ctx.body = '';
      return;
    }
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
    sendXml(ctx, renderViewXml(await views.get(ctx.params.name!)));
  });
  r.post('/view/:name/config.xml', async (ctx) => {
    const current = await views.get(ctx.params.name!);
    await views.update(current.name, parseViewXml(xmlBody(ctx), current.name));
    ctx.body = '';
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
