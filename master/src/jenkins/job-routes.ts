/**
 * Jenkins' job endpoints (reference §5.2): api/json and HEAD (exists), config.xml, createItem
 * (an XML body, or mode=copy&from=), doDelete, enable, disable, doRename, nextbuildnumber/submit,
 * build and buildWithParameters. Each parses, calls the jobs or builds service, and answers as Jenkins:
 * 302 where node `jenkins` requires it, 201 + the queue item's Location (ending in /) for a
 * build, 303 when the request folded into an identical waiting item.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Cause } from '../../../shared/src/build.ts';
import { principalOf, requireUser } from '../auth/authenticate.ts';
import type { AuthState } from '../auth/principal.ts';
import { parseTriggerForm } from '../builds/uploads.ts';
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { first, answerApi, jenkinsErrors, jobPath, origin, param, redirect, requiredParam, untypedForm } from './jenkins-http.ts';
import type { JenkinsDeps } from './jenkins-deps.ts';
import { jobConfigXml, jobFromConfigXml, sendXml, xmlBody } from './job-xml.ts';
import { jobJson } from './shapes.ts';

/** Query and form fields of a build request that are not parameters. */
const CONTROL_FIELDS = new Set(['token', 'delay', 'cause', 'json', 'Submit', 'Jenkins-Crumb']);

/** A build request that carries the job's token instead of a login ("Trigger builds remotely"). */
export function isJenkinsRemoteTrigger(ctx: Pick<Context, 'method' | 'path' | 'query'>): boolean {
  return (ctx.method === 'POST' || ctx.method === 'GET') && /^\/job\/[^/]+\/(build|buildWithParameters)\/?$/.test(ctx.path) && typeof ctx.query.token === 'string';
}

export function jobRoutes(deps: JenkinsDeps): Router {
  const { jobs, builds } = deps;
  const r = new Router();
  r.use(jenkinsErrors);

  const trigger = async (ctx: Context, withParameters: boolean) => {
    const name = ctx.params.name!;
    const cause = await causeOf(ctx, deps);
    const { job } = await jobs.find(name);
    let given: Record<string, unknown> = {};
    let form: Awaited<ReturnType<typeof parseTriggerForm>> | undefined;
    if (withParameters) {
      if (job.parameters.length === 0) throw new ValidationError(`${job.name} is not parameterized`);
      if (ctx.is('multipart/form-data')) {
        form = await parseTriggerForm(ctx.req, ctx.headers, { fileParameters: new Set(job.parameters.filter((p) => p.type === 'file').map((p) => p.name)) });
        given = form.fields;
      } else {
        given = { ...formFields(ctx), ...queryFields(ctx) };
      }
    } else if (job.parameters.length > 0) {
      given = jsonParameters(ctx, job.name);
    }
    // As Jenkins since SECURITY-170: values for parameters the job does not define are dropped.
    const defined = new Set(job.parameters.map((p) => p.name));
    const values = Object.fromEntries(Object.entries(given).filter(([k]) => defined.has(k) && !CONTROL_FIELDS.has(k)));
    try {
      const quietPeriod = delayOf(param(ctx, 'delay'));
      const { queueId, merged } = await builds.triggerItem(name, values, cause, form?.files ?? [], quietPeriod === undefined ? {} : { quietPeriod });
      ctx.status = merged && withParameters ? 303 : 201;
      ctx.set('Location', `${origin(ctx)}/queue/item/${queueId}/`);
      ctx.body = '';
    } finally {
      await form?.cleanup();
    }
  };
  r.post('/job/:name/build', (ctx) => trigger(ctx, false));
  r.get('/job/:name/build', (ctx) => trigger(ctx, false));
  r.post('/job/:name/buildWithParameters', (ctx) => trigger(ctx, true));
  r.get('/job/:name/buildWithParameters', (ctx) => trigger(ctx, true));

  r.use(requireUser);
  r.get('/job/:name/api/:format', async (ctx) => {
    const name = ctx.params.name!;
    const [job, stored, summaries, firstBuild] = await Promise.all([jobs.get(name), jobs.find(name), jobs.list(), builds.firstNumber(name)]);
    const summary = summaries.find((s) => s.name === job.name);
    if (!summary) throw new NotFoundError(`No job named '${name}'`); // deleted meanwhile
    const model = jobJson(await deps.publicUrl(), {
      job,
      summary,
      nextBuildNumber: stored.nextBuildNumber,
      firstBuild,
      queueItem: async () => (await builds.queue()).find((q) => q.job === job.name) ?? null,
      builds: (limit) => builds.list(name, limit, undefined),
      summaries: async (names) => summaries.filter((s) => names.includes(s.name)),
    });
    await answerApi(ctx, model, ctx.params.format);
  });

  r.get('/job/:name/config.xml', async (ctx) => {
    sendXml(ctx, await jobConfigXml(jobs, ctx.params.name!));
  });
  r.post('/job/:name/config.xml', async (ctx) => {
    const name = ctx.params.name!;
    const { job } = await jobs.find(name);
    await jobFromConfigXml(jobs, xmlBody(ctx), job.name, 'update');
    ctx.body = '';
  });

  r.post('/createItem', async (ctx) => {
    const name = requiredParam(ctx, 'name');
    // Jenkins' Failure: a 400 (a clash found later, in a race, is the service's 409).
    await jobs.find(name).then(
      (existing) => {
        throw new ValidationError(`A job already exists with the name ‘${existing.job.name}’`);
      },
      (err) => {
        if (!(err instanceof NotFoundError)) throw err;
      },
    );
    if (param(ctx, 'mode') === 'copy') {
      const job = await jobs.copy(requiredParam(ctx, 'from'), name);
      return redirect(ctx, `/${jobPath(job.name)}`);
    }
    if (!ctx.get('Content-Type')) throw new ValidationError('No Content-Type header set');
    await jobFromConfigXml(jobs, xmlBody(ctx), name, 'create');
    ctx.body = '';
  });

  r.post('/job/:name/doDelete', async (ctx) => {
    await jobs.delete(ctx.params.name!);
    redirect(ctx, '/');
  });
  r.delete('/job/:name', async (ctx) => {
    await jobs.delete(ctx.params.name!);
    ctx.status = 204;
  });
  for (const [action, disabled] of [['enable', false], ['disable', true]] as const) {
    r.post(`/job/:name/${action}`, async (ctx) => {
      const job = await jobs.setDisabled(ctx.params.name!, disabled);
      redirect(ctx, `/${jobPath(job.name)}`);
    });
  }
  r.post('/job/:name/nextbuildnumber/submit', async (ctx) => {
    const raw = param(ctx, 'nextBuildNumber') ?? (await untypedForm(ctx)).get('nextBuildNumber') ?? requiredParam(ctx, 'nextBuildNumber');
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new ValidationError(`nextBuildNumber must be a positive whole number, got '${raw}'`);
    await jobs.raiseNextBuildNumber(ctx.params.name!, Number(raw));
    redirect(ctx, `/${jobPath(ctx.params.name!)}`);
  });
  r.post('/job/:name/doRename', async (ctx) => {
    const job = await jobs.rename(ctx.params.name!, requiredParam(ctx, 'newName'));
    redirect(ctx, `/${jobPath(job.name)}`);
  });
  return r;
}

/** Who triggers: the job's remote token (no login needed), else the person logged in. */
async function causeOf(ctx: Context, deps: JenkinsDeps): Promise<Cause> {
  const token = first(ctx.query.token);
  if (token !== undefined && (await deps.jobs.remoteTokenMatches(ctx.params.name!, token))) return { kind: 'remote', address: ctx.ip };
  const principal = (ctx.state as AuthState).principal;
  if (!principal) throw new ForbiddenError('Invalid token provided.');
  if (principal.kind !== 'user') throw new ForbiddenError('Builds are started by people (or with the job\'s remote token), not by agents');
  if (ctx.method !== 'POST') {
    ctx.set('Allow', 'POST');
    throw new MethodNotAllowed('Use POST to build (GET needs the job\'s remote token)');
  }
  return { kind: 'user', userId: principalOf(ctx).name };
}

class MethodNotAllowed extends DomainError {
  constructor(message: string) {
    super(405, 'method_not_allowed', message);
  }
}

const queryFields = (ctx: Context) => Object.fromEntries(Object.entries(ctx.query).map(([k, v]) => [k, first(v)]));
function formFields(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, first(v) ?? v]));
}

const JsonForm = z.object({
  parameter: z.union([z.array(z.object({ name: z.string(), value: z.unknown() })), z.object({ name: z.string(), value: z.unknown() })]),
});

/** `/build` of a parameterized job: the form's `json` field, `{"parameter":[{"name":…,"value":…}]}` (Jenkins' own form). */
function jsonParameters(ctx: Context, job: string): Record<string, unknown> {
  const json = param(ctx, 'json');
  if (json === undefined) {
    throw new ValidationError(`Nothing is submitted: ${job} is parameterized; use buildWithParameters, or send the form field json={"parameter":[{"name":…,"value":…}]}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ValidationError('The json form field is not JSON');
  }
  const form = JsonForm.safeParse(parsed);
  if (!form.success) throw new ValidationError('The json form field must be {"parameter":[{"name":…,"value":…}]}');
  const list = Array.isArray(form.data.parameter) ? form.data.parameter : [form.data.parameter];
  return Object.fromEntries(list.map((p) => [p.name, typeof p.value === 'boolean' ? p.value : p.value === undefined ? undefined : String(p.value)]));
}

/** Jenkins' `delay`: a plain number is milliseconds, `Nsec` seconds; the job's quiet period when absent. */
function delayOf(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = /^(\d{1,9})(sec|secs)?$/.exec(raw.trim());
  if (!m) throw new ValidationError(`Invalid delay '${raw}': give milliseconds or N sec (e.g. delay=0sec)`);
  const seconds = m[2] ? Number(m[1]) : Math.ceil(Number(m[1]) / 1000);
  if (seconds > 86_400) throw new ValidationError('delay is at most a day');
  return seconds;
}
