/**
 * Artifacts over HTTP. People: list, download and zip a build's artifacts. Agents (protocol:
 * shared/src/agent-protocol.ts): upload the running build's files, and fetch another build's for a
 * copyArtifacts step. Paths arrive decoded by the router and are checked by the service.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { CopySelector } from '../../../shared/src/agent-protocol.ts';
import { agentOf, requireAgent, requireUser } from '../auth/authenticate.ts';
import type { BuildsService } from '../builds/builds.ts';
import { ValidationError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import type { ArtifactsService } from './artifacts.ts';

/** An artifact upload: its body is the file's bytes, whatever its content type (not parsed). */
export function isArtifactUpload(ctx: Context): boolean {
  return ctx.method === 'PUT' && /^\/api\/agent\/builds\/\d+\/artifacts\/./.test(ctx.path);
}

/** `attachment`: an artifact is the build's output, never a page of ours (no HTML rendered from it). */
const attachment = (name: string) => `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;

export function artifactRoutes(artifacts: ArtifactsService, builds: BuildsService): Router {
  const r = new Router({ prefix: '/api/jobs/:name/builds/:ref' });
  r.use(requireUser);
  const buildOf = (ctx: Context) => artifactBuildOf(builds, ctx);

  r.get('/artifacts', async (ctx) => {
    const build = await buildOf(ctx);
    ctx.body = { artifacts: (await artifacts.list(build.buildId)).map(({ path, size, sha256 }) => ({ path, size, sha256 })) };
  });
  r.get('/artifacts.zip', async (ctx) => {
    const build = await buildOf(ctx);
    const all = await artifacts.list(build.buildId);
    if (all.length === 0) {
      ctx.status = 404;
      ctx.body = { error: { code: 'not_found', message: `${build.label} has no artifacts` } };
      return;
    }
    ctx.type = 'application/zip';
    ctx.set('Content-Disposition', attachment(`${build.job}-${build.number}-artifacts.zip`));
    ctx.body = artifacts.zip(build, all);
  });
  r.get('/artifacts/*path', async (ctx) => {
    await sendArtifact(ctx, artifacts, await buildOf(ctx), String(ctx.params.path));
  });
  return r;
}

/** The build a person's artifact request names (`:name`, `:ref`: a number or a permalink). */
export async function artifactBuildOf(builds: BuildsService, ctx: Context) {
  const row = await builds.resolveRow(ctx.params.name!, ctx.params.ref!);
  return { jobId: row.job_id, buildId: row.id, number: row.number, job: row.job_name, label: `Build #${row.number} of '${row.job_name}'` };
}

/** One artifact's bytes as a download (here and at Jenkins' `artifact/<path>`). */
export async function sendArtifact(ctx: Context, artifacts: ArtifactsService, build: { jobId: number; buildId: number; label: string }, path: string): Promise<void> {
  const file = await artifacts.open(build, path);
  ctx.type = 'application/octet-stream';
  ctx.set('Content-Disposition', attachment(path.split('/').at(-1)!));
  ctx.length = file.size;
  ctx.body = file.stream;
}

const CopyQuery = z.object({
  project: z.string().min(1).max(10_000),
  selector: z.union([z.literal('lastSuccessful'), z.string().regex(/^\d{1,9}$/, 'must be lastSuccessful or a build number').transform(Number)]),
});

export function agentArtifactRoutes(artifacts: ArtifactsService): Router {
  const r = new Router({ prefix: '/api/agent/builds/:id' });
  r.use(requireAgent);
  const id = (raw: string) => {
    if (!/^\d{1,15}$/.test(raw)) throw new ValidationError(`Build ids are numbers, got '${raw}'`);
    return Number(raw);
  };

  r.put('/artifacts/*path', async (ctx) => {
    const length = ctx.get('content-length');
    const stored = await artifacts.upload(agentOf(ctx), id(ctx.params.id!), String(ctx.params.path), ctx.req, length ? Number(length) : undefined);
    ctx.status = 201;
    ctx.body = stored;
  });
  r.get('/copy-artifacts', async (ctx) => {
    const q = parseInput(CopyQuery, ctx.query, 'query');
    ctx.body = await artifacts.selectForCopy(agentOf(ctx), id(ctx.params.id!), q.project, q.selector as CopySelector);
  });
  r.get('/copy-artifacts/:job/:number/*path', async (ctx) => {
    const number = ctx.params.number!;
    if (!/^\d{1,9}$/.test(number)) throw new ValidationError(`Build numbers are numbers, got '${number}'`);
    const file = await artifacts.openForCopy(agentOf(ctx), id(ctx.params.id!), ctx.params.job!, Number(number), String(ctx.params.path));
    ctx.type = 'application/octet-stream';
    ctx.length = file.size;
    ctx.body = file.stream;
  });
  return r;
}
