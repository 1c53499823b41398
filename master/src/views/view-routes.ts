import Router from '@koa/router';
import { requireUser } from '../auth/authenticate.ts';
import type { ViewsService } from './views.ts';

const viewPath = (name: string) => `/api/views/${encodeURIComponent(name)}`;

/** List views: any person may read and change them (Jenkins' View/Configure for everyone logged in). */
export function viewRoutes(views: ViewsService): Router {
  const r = new Router({ prefix: '/api/views' });
  r.use(requireUser);
  r.get('/', async (ctx) => {
    ctx.body = { views: await views.list() };
  });
  r.post('/', async (ctx) => {
    const view = await views.create(ctx.request.body);
    ctx.status = 201;
    ctx.set('Location', viewPath(view.name));
    ctx.body = view;
  });
  r.get('/:name', async (ctx) => {
    ctx.body = await views.get(ctx.params.name!);
  });
  r.put('/:name', async (ctx) => {
    const view = await views.update(ctx.params.name!, ctx.request.body);
    ctx.set('Content-Location', viewPath(view.name));
    ctx.body = view;
  });
  r.delete('/:name', async (ctx) => {
    await views.delete(ctx.params.name!);
    ctx.status = 204;
  });
  return r;
}
