import Router from '@koa/router';
import { requireAdmin, requireUser } from '../auth/authenticate.ts';
import type { CredentialsService } from './credentials.ts';

const credentialPath = (id: string) => `/api/credentials/${encodeURIComponent(id)}`;

/**
 * What a job's configure page offers in its credential drop-downs, to anyone who may configure
 * jobs (as Jenkins lists ids and descriptions there): ?job= keeps those that job may use.
 */
export function credentialChoiceRoutes(credentials: CredentialsService): Router {
  const r = new Router();
  r.get('/api/credential-choices', requireUser, async (ctx) => {
    const job = typeof ctx.query.job === 'string' ? ctx.query.job : undefined;
    ctx.body = { credentials: await credentials.choices(job) };
  });
  return r;
}

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
