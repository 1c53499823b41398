/**
 * Jenkins' build endpoints, by number or permalink (`lastBuild`…): api/json, consoleText,
 * logText/progressiveText and progressiveHtml (GET or POST, `start` in the query or the form;
 * X-Text-Size, X-More-Data while the build logs), stop / term / kill (302), artifact/<path> and
 * the zip of them all (`*zip*` + `/archive.zip`). Reads go through the builds, console and artifacts services.
 */
import { Transform } from 'node:stream';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { artifactBuildOf, sendArtifact } from '../artifacts/artifact-routes.ts';
import { principalOf, requireUser } from '../auth/authenticate.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import { answerApi, buildPath, jenkinsErrors, param, redirect } from './jenkins-http.ts';
import type { JenkinsDeps } from './jenkins-deps.ts';
import { buildJson } from './shapes.ts';

const Start = z.object({ start: z.coerce.number().int().min(0).default(0) });

export function buildRoutes(deps: JenkinsDeps): Router {
  const { builds, consoles, artifacts, jobs } = deps;
  const r = new Router({ prefix: '/job/:name/:ref' });
  r.use(jenkinsErrors, requireUser);

  r.get('/api/:format', async (ctx) => {
    const { name, ref } = ctx.params as { name: string; ref: string };
    const build = await builds.get(name, ref);
    if (build.number === null) throw new NotFoundError(`No build '${ref}' of '${name}'`);
    const [row, { job }, stored] = await Promise.all([builds.resolveRow(name, ref), jobs.find(name), artifacts.list(build.queueId)]);
    await answerApi(ctx, buildJson(await deps.publicUrl(), { ...build, artifacts: stored }, row.causes, job.parameters), ctx.params.format);
  });

  r.get('/consoleText', async (ctx) => {
    const read = await consoles.read(ctx.params.name!, ctx.params.ref!, 0, false);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = read.body;
  });

  const progressive = async (ctx: Context, html: boolean) => {
    const { start } = parseInput(Start, { start: param(ctx, 'start') }, 'query');
    const read = await consoles.read(ctx.params.name!, ctx.params.ref!, start, false);
    ctx.set('X-Text-Size', String(read.size));
    if (read.more) ctx.set('X-More-Data', 'true');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
    ctx.body = html ? read.body.pipe(escapeHtml()) : read.body;
  };
  for (const kind of ['Text', 'Html'] as const) {
    r.get(`/logText/progressive${kind}`, (ctx) => progressive(ctx, kind === 'Html'));
    r.post(`/logText/progressive${kind}`, (ctx) => progressive(ctx, kind === 'Html'));
  }

  // Jenkins' stop (and Pipeline's term / kill): abort, then back to the build, whether or not it still ran.
  for (const action of ['stop', 'term', 'kill']) {
    r.post(`/${action}`, async (ctx) => {
      const { name, ref } = ctx.params as { name: string; ref: string };
      const row = await builds.resolveRow(name, ref);
      await builds.abort(name, ref, principalOf(ctx).name).catch((err) => {
        if (!(err instanceof ConflictError)) throw err; // already over: nothing to stop
      });
      redirect(ctx, `/${buildPath(row.job_name, row.number ?? 0)}`);
    });
  }

  const buildOf = (ctx: Context) => artifactBuildOf(builds, ctx);
  r.get('/artifact/*path', async (ctx) => {
    await sendArtifact(ctx, artifacts, await buildOf(ctx), String(ctx.params.path));
  });
  // `*zip*` is a literal segment in Jenkins' URL; path patterns would read `*` as a wildcard.
  r.get('/:zip/archive.zip', async (ctx) => {
    if (ctx.params.zip !== '*zip*') throw new NotFoundError(`No such resource: ${ctx.path}`);
    const build = await buildOf(ctx);
    const all = await artifacts.list(build.buildId);
    if (all.length === 0) throw new NotFoundError(`${build.label} has no artifacts`);
    ctx.type = 'application/zip';
    ctx.set('Content-Disposition', "attachment; filename*=UTF-8''archive.zip");
    ctx.body = artifacts.zip(build, all);
  });
  return r;
}

/** progressiveHtml: the console as HTML text (Jenkins adds annotations; the bytes are escaped here, nothing else). */
function escapeHtml(): Transform {
  const entities: Record<number, string> = { 0x26: '&amp;', 0x3c: '&lt;', 0x3e: '&gt;', 0x22: '&quot;', 0x27: '&#39;' };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const parts: Buffer[] = [];
      let from = 0;
      for (let i = 0; i < chunk.length; i++) {
        const entity = entities[chunk[i]!];
        if (entity === undefined) continue;
        parts.push(chunk.subarray(from, i), Buffer.from(entity));
        from = i + 1;
      }
      parts.push(chunk.subarray(from));
      done(null, Buffer.concat(parts));
    },
  });
}
