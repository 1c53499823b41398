import Router from '@koa/router';
import { RegisterAgentRequest, UpdateAgentRequest } from '../../../shared/src/identity.ts';
import { agentOf, principalOf, requireAdmin, requireAgent, requireUser } from '../auth/authenticate.ts';
import { parseInput } from '../http/validate.ts';
import type { AgentBuildsService } from '../builds/agent-builds.ts';
import type { Agent, AgentWithSecret, RegisteredAgent } from '../../../shared/src/identity.ts';
import type { AgentWithExecutors } from '../../../shared/src/api-responses.ts';
import { busyExecutors } from '../builds/estimates.ts';
import type { DatabasePool } from '../db/pool.ts';
import type { EventPublisher } from '../events/event-bus.ts';
import { agentCommand } from './agent-command.ts';
import type { AgentRedisAccess } from './agent-redis.ts';
import type { AgentsService } from './agents.ts';

/** Each agent with its executors: idle, or the build it runs (the Build Executor Status panel, Jenkins' /computer). */
export async function agentsWithExecutors(pool: DatabasePool, list: Agent[]): Promise<AgentWithExecutors[]> {
  const busy = await busyExecutors(pool);
  return list.map((a) => ({
    ...a,
    executorStatus: Array.from({ length: a.executors }, (_, number) => {
      const run = busy.find((b) => b.agent === a.name && b.executor === number);
      return run ? { number, idle: false as const, job: run.job, build: run.number, startedAt: run.startedAt, estimatedDurationMs: run.estimatedDurationMs } : { number, idle: true as const };
    }),
  }));
}

/** Managing agents (people: anyone may look, admins change) and the agent API (agents only). */
export function agentRoutes(
  agents: AgentsService,
  agentBuilds: AgentBuildsService,
  pool: DatabasePool,
  events: EventPublisher,
  onWorkConfigChange: () => void,
  publicUrl: () => Promise<string>,
  agentRedis: AgentRedisAccess,
): Router {
  const router = new Router({ prefix: '/api' });

  const withExecutors = (list: Agent[]) => agentsWithExecutors(pool, list);
  const withCommand = async (agent: AgentWithSecret): Promise<RegisteredAgent> => ({ ...agent, command: agentCommand(await publicUrl(), agent.name, agent.secret) });
  router.get('/agents', requireUser, async (ctx) => {
    ctx.body = { agents: await withExecutors(await agents.list()) };
  });
  router.get('/agents/:name', requireUser, async (ctx) => {
    ctx.body = (await withExecutors([await agents.get(ctx.params.name!)]))[0];
  });
  router.post('/agents', requireAdmin, async (ctx) => {
    const agent = await agents.register(parseInput(RegisterAgentRequest, ctx.request.body));
    ctx.status = 201;
    ctx.set('Location', `/api/agents/${encodeURIComponent(agent.name)}`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await withCommand(agent);
  });
  router.patch('/agents/:name', requireAdmin, async (ctx) => {
    ctx.body = await agents.update(ctx.params.name!, parseInput(UpdateAgentRequest, ctx.request.body));
    onWorkConfigChange();
  });
  router.post('/agents/:name/secret', requireAdmin, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const agent = await agents.regenerateSecret(ctx.params.name!);
    await agentRedis.revoke(agent.name); // the old secret's Redis connections go too
    ctx.body = await withCommand(agent);
  });
  router.delete('/agents/:name', requireAdmin, async (ctx) => {
    const { name } = await agents.get(ctx.params.name!);
    await agents.delete(name);
    await agentRedis.revoke(name);
    ctx.status = 204;
  });

  // The agent API (contract: shared/src/agent-protocol.ts).
  router.post('/agent/heartbeat', requireAgent, async (ctx) => {
    const name = principalOf(ctx).name;
    if (await agents.heartbeat(name)) events.publish({ type: 'agent.online', agent: name });
    await agentBuilds.agentAlive(agentOf(ctx));
    ctx.status = 204;
  });
  return router;
}
