/** A job's files (fetched by its builds' agents into the workspace), for people. */
import Router from '@koa/router';
import type { Context } from 'koa';
import { requireUser } from '../auth/authenticate.ts';
import type { JobFilesService } from './job-files.ts';

/** A job file upload: its body is the file's bytes, whatever its content type (not parsed). */
export function isJobFileUpload(ctx: Context): boolean {
  return ctx.method === 'PUT' && /^\/api\/jobs\/[^/]+\/files\/./.test(ctx.path);
}

export function jobFileRoutes(jobFiles: JobFilesService): Router {
  const r = new Router({ prefix: '/api' });
  r.use(requireUser);
  r.get('/jobs/:name/files', async (ctx) => {
    ctx.body = { files: await jobFiles.list(ctx.params.name!) };
  });
  r.put('/jobs/:name/files/*path', async (ctx) => {
    const length = ctx.get('content-length');
    const stored = await jobFiles.put(ctx.params.name!, String(ctx.params.path), ctx.req, length ? { declaredLength: Number(length) } : {});
    ctx.status = stored.created ? 201 : 200;
    ctx.body = { path: stored.path, size: stored.size, sha256: stored.sha256 };
  });
  r.get('/jobs/:name/files/*path', async (ctx) => {
    const file = await jobFiles.open(ctx.params.name!, String(ctx.params.path));
    ctx.type = 'application/octet-stream';
    ctx.length = file.size;
    ctx.body = file.stream;
  });
  r.delete('/jobs/:name/files/*path', async (ctx) => {
    await jobFiles.delete(ctx.params.name!, String(ctx.params.path));
    ctx.status = 204;
  });
  return r;
}
