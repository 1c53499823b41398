/**
 * Jenkins' root and people: `/api/json` (jobs with colours, views, `mode`, `useCrumbs`), `/me`,
 * `/user/<id>`, `/whoAmI`, the crumb issuer, an empty plugin list (a 404 would break Jenkins Job
 * Builder), and API tokens at Jenkins' ApiTokenProperty paths.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { NewApiTokenRequest } from '../../../shared/src/identity.ts';
import { principalOf, requireUser } from '../auth/authenticate.ts';
import { checkTokenAccess } from '../auth/api-tokens.ts';
import { CRUMB_FIELD, crumbFor } from '../auth/basic-auth.ts';
import { parseInput } from '../http/validate.ts';
import { exported, lazy } from './exported.ts';
import { answerApi, jenkinsErrors, requiredParam } from './jenkins-http.ts';
import type { JenkinsDeps } from './jenkins-deps.ts';
import { ALL_VIEW_API_NAME, jobSummary, userJson } from './shapes.ts';

const TOKEN_PROPERTY = 'descriptorByName/jenkins.security.ApiTokenProperty';

export function rootRoutes(deps: JenkinsDeps): Router {
  const r = new Router();
  r.use(jenkinsErrors, requireUser);

  const rootApi = async (ctx: Context, format: string) => {
    const root = await deps.publicUrl();
    const model = exported('hudson.model.Hudson', {
      assignedLabels: [exported('hudson.model.labels.LabelAtom', { name: 'built-in' })],
      mode: 'NORMAL',
      nodeDescription: 'the Jonkkins master',
      nodeName: '',
      numExecutors: 0,
      description: null,
      jobs: lazy(async () => (await deps.jobs.list()).map((j) => jobSummary(root, j))),
      overallLoad: {},
      primaryView: exported('hudson.model.AllView', { name: ALL_VIEW_API_NAME, url: root }),
      quietDownReason: null,
      quietingDown: false,
      slaveAgentPort: -1,
      unlabeledLoad: exported('jenkins.model.UnlabeledLoadStatistics', {}),
      url: root,
      useCrumbs: true,
      useSecurity: true,
      views: lazy(async () => [
        exported('hudson.model.AllView', { name: ALL_VIEW_API_NAME, url: root }),
        ...(await deps.views.list()).map((v) => exported('hudson.model.ListView', { name: v.name, url: `${root}view/${encodeURIComponent(v.name)}/` })),
      ]),
    });
    await answerApi(ctx, model, format);
  };
  // Spelled out: `/api/:format` would take the native API's `/api/jobs`.
  r.get('/api/json', (ctx) => rootApi(ctx, 'json'));
  r.get('/api/xml', (ctx) => rootApi(ctx, 'xml'));

  const userApi = async (ctx: Context, username: string) => {
    const user = await deps.users.get(username);
    await answerApi(ctx, userJson(await deps.publicUrl(), user), ctx.params.format);
  };
  r.get('/me/api/:format', (ctx) => userApi(ctx, principalOf(ctx).name));
  r.get('/user/:id/api/:format', (ctx) => userApi(ctx, ctx.params.id!));

  r.get('/whoAmI/api/:format', async (ctx) => {
    const p = principalOf(ctx);
    const model = exported('hudson.security.WhoAmI', { anonymous: false, authenticated: true, authorities: ['authenticated', ...(p.role === 'admin' ? ['admin'] : [])], details: null, name: p.name, toString: p.name });
    await answerApi(ctx, model, ctx.params.format);
  });

  r.get('/crumbIssuer/api/:format', async (ctx) => {
    const model = exported('hudson.security.csrf.DefaultCrumbIssuer', { crumb: crumbFor(deps.signingKey, principalOf(ctx)), crumbRequestField: CRUMB_FIELD });
    ctx.set('Cache-Control', 'no-store');
    await answerApi(ctx, model, ctx.params.format);
  });

  r.get('/pluginManager/api/:format', async (ctx) => {
    await answerApi(ctx, exported('hudson.LocalPluginManager', { plugins: [] }), ctx.params.format);
  });

  // API tokens, as Jenkins' user configuration page makes and revokes them.
  const generate = async (ctx: Context, username: string) => {
    const { name } = parseInput(NewApiTokenRequest, { name: requiredParam(ctx, 'newTokenName') }, 'query');
    checkTokenAccess(principalOf(ctx), username, 'generate');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok', data: await deps.apiTokens.generate(username, name) };
  };
  const revoke = async (ctx: Context, username: string) => {
    checkTokenAccess(principalOf(ctx), username, 'revoke');
    await deps.apiTokens.revoke(username, requiredParam(ctx, 'tokenUuid'));
    ctx.body = { status: 'ok' };
  };
  r.post(`/user/:id/${TOKEN_PROPERTY}/generateNewToken`, (ctx) => generate(ctx, ctx.params.id!));
  r.post(`/me/${TOKEN_PROPERTY}/generateNewToken`, (ctx) => generate(ctx, principalOf(ctx).name));
  r.post(`/user/:id/${TOKEN_PROPERTY}/revoke`, (ctx) => revoke(ctx, ctx.params.id!));
  r.post(`/me/${TOKEN_PROPERTY}/revoke`, (ctx) => revoke(ctx, principalOf(ctx).name));
  return r;
}
