/**
 * Jenkins' nodes: `/computer/api/json` (the built-in node, which runs nothing here, and every
 * agent with its executors and what they run) and one node's api/json (`(built-in)`, `(master)`).
 * Creating or configuring nodes the Jenkins way is not served: agents are registered in Manage →
 * Nodes or at /api/agents.
 */
import Router from '@koa/router';
import { requireUser } from '../auth/authenticate.ts';
import { NotFoundError } from '../errors.ts';
import { answerApi, jenkinsErrors } from './jenkins-http.ts';
import type { JenkinsDeps } from './jenkins-deps.ts';
import { builtInComputer, computerJson, computerSetJson } from './node-shapes.ts';

const BUILT_IN = new Set(['(built-in)', '(master)', 'built-in', 'master', 'built-in node']);

export function nodeRoutes(deps: JenkinsDeps): Router {
  const r = new Router({ prefix: '/computer' });
  r.use(jenkinsErrors, requireUser);
  r.get('/api/:format', async (ctx) => {
    await answerApi(ctx, computerSetJson(await deps.publicUrl(), await deps.agents()), ctx.params.format);
  });
  r.get('/:name/api/:format', async (ctx) => {
    const root = await deps.publicUrl();
    const name = ctx.params.name!;
    if (BUILT_IN.has(name.toLowerCase())) return answerApi(ctx, builtInComputer(root), ctx.params.format);
    const agent = (await deps.agents()).find((a) => a.name.toLowerCase() === name.toLowerCase());
    if (!agent) throw new NotFoundError(`No node named '${name}'`);
    await answerApi(ctx, computerJson(root, agent), ctx.params.format);
  });
  return r;
}
