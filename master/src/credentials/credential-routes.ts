import Router from '@koa/router';
import { requireAdmin } from '../auth/authenticate.ts';
import type { CredentialsService } from './credentials.ts';

const credentialPath = (id: string) => `/api/credentials/${encodeURIComponent(id)}`;

/** Manage Jonkkins → Credentials (admins only). Every answer is metadata: a secret is write-only. */
export function credentialRoutes(credentials: CredentialsService): Router {
  const r = new Router({ prefix: '/api/credentials' });
  r.use(requireAdmin);
  r.get('/', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { credentials: await credentials.list() };
  });
  r.post('/', async (ctx) => {
    const created = await credentials.create(ctx.request.body);
    ctx.status = 201;
    ctx.set('Location', credentialPath(created.id));
    ctx.body = created;
  });
  r.get('/:id', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await credentials.get(ctx.params.id!);
  });
  r.put('/:id', async (ctx) => {
    ctx.body = await credentials.replace(ctx.params.id!, ctx.request.body);
  });
  r.delete('/:id', async (ctx) => {
    await credentials.delete(ctx.params.id!);
    ctx.status = 204;
  });
  return r;
}
