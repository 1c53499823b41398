import type { IncomingMessage } from 'node:http';
import Router from '@koa/router';
import { DockerImageReport, FinishRequest, LOG_BATCH_BYTES, StartRequest, TriggerRequest } from '../../../shared/src/agent-protocol.ts';
import { CheckoutReport } from '../../../shared/src/scm.ts';
import { agentOf, requireAgent } from '../auth/authenticate.ts';
import type { AgentBuildsService } from '../builds/agent-builds.ts';
import type { AgentTriggersService } from '../builds/agent-triggers.ts';
import type { DockerImagesService } from '../builds/docker-images.ts';
import { DomainError, ValidationError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import type { AgentRedisAccess } from './agent-redis.ts';

const MAX_LOG_POST = 4 * LOG_BATCH_BYTES;

export interface AgentWorkDeps {
  builds: AgentBuildsService;
  triggers: AgentTriggersService;
  dockerImages: DockerImagesService;
  /** Where each agent reaches the queue, with a Redis user of its own. */
  agentRedis: AgentRedisAccess;
}

/**
 * A request body as the chunks it arrived in, at most `limit` bytes (else 413): log uploads are
 * stored chunk by chunk (console/console-store.ts), so joining them would only be one more copy to collect.
 */
async function readBodyChunks(req: IncomingMessage, limit: number): Promise<Buffer[]> {
  const tooLarge = () => new DomainError(413, 'payload_too_large', `A log upload is at most ${limit} bytes`);
  if (Number(req.headers['content-length']) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return chunks;
}

/** The agent API for running builds (protocol: shared/src/agent-protocol.ts). */
export function agentBuildRoutes(deps: AgentWorkDeps): Router {
  const r = new Router({ prefix: '/api/agent' });
  r.use(requireAgent);
  const id = (raw: string) => {
    if (!/^\d{1,15}$/.test(raw)) throw new ValidationError(`Build ids are numbers, got '${raw}'`);
    return Number(raw);
  };

  r.get('/work-config', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await deps.builds.workConfig(agentOf(ctx).name, (agent, queues, current) => deps.agentRedis.forAgent(agent, queues, current));
  });

  r.post('/builds/:id/start', async (ctx) => {
    const { executor } = parseInput(StartRequest, ctx.request.body);
    ctx.body = await deps.builds.start(agentOf(ctx), id(ctx.params.id!), executor);
  });

  r.post('/builds/:id/log', async (ctx) => {
    const offset = Number(ctx.query.offset);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ValidationError('offset must be a byte offset (a whole number ≥ 0)');
    const chunks = await readBodyChunks(ctx.req, MAX_LOG_POST);
    ctx.body = await deps.builds.appendLog(agentOf(ctx), id(ctx.params.id!), offset, chunks);
  });

  r.get('/builds/:id/files/:parameter', async (ctx) => {
    const file = await deps.builds.openFile(agentOf(ctx), id(ctx.params.id!), ctx.params.parameter!);
    ctx.type = 'application/octet-stream';
    ctx.length = file.size;
    ctx.body = file.stream;
  });

  r.get('/builds/:id/job-files/*path', async (ctx) => {
    const file = await deps.builds.openJobFile(agentOf(ctx), id(ctx.params.id!), String(ctx.params.path));
    ctx.type = 'application/octet-stream';
    ctx.length = file.size;
    ctx.body = file.stream;
  });

  r.post('/builds/:id/ping', async (ctx) => {
    ctx.body = await deps.builds.ping(agentOf(ctx), id(ctx.params.id!));
  });

  r.post('/builds/:id/trigger', async (ctx) => {
    ctx.body = await deps.triggers.trigger(agentOf(ctx), id(ctx.params.id!), parseInput(TriggerRequest, ctx.request.body));
  });

  r.get('/builds/:id/awaited', async (ctx) => {
    const ids = String(ctx.query.ids ?? '').split(',').filter(Boolean);
    if (ids.length > 200 || !ids.every((x) => /^\d{1,15}$/.test(x))) throw new ValidationError('ids must be up to 200 comma-separated queue ids');
    ctx.body = await deps.triggers.awaited(agentOf(ctx), id(ctx.params.id!), ids.map(Number));
  });

  r.post('/builds/:id/checkout', async (ctx) => {
    await deps.builds.recordCheckout(agentOf(ctx), id(ctx.params.id!), parseInput(CheckoutReport, ctx.request.body));
    ctx.status = 204;
  });

  r.post('/builds/:id/docker-images', async (ctx) => {
    ctx.body = await deps.dockerImages.record(agentOf(ctx), id(ctx.params.id!), parseInput(DockerImageReport, ctx.request.body));
  });

  r.post('/builds/:id/finish', async (ctx) => {
    const req = parseInput(FinishRequest, ctx.request.body);
    ctx.body = await deps.builds.finish(agentOf(ctx), id(ctx.params.id!), req);
  });
  return r;
}
