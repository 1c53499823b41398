/**
 * The push notification endpoints, at Jenkins' own paths so that forges set up for Jenkins work by
 * changing the host. They need no login (each authenticates with its token or signature: see
 * webhooks.ts) and read their body raw and bounded (webhook-body.ts), so they come before the JSON
 * body parser, the static files and authentication.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { parsePayload, readRawBody } from './webhook-body.ts';
import type { WebhookRequest, WebhooksService } from './webhooks.ts';

const PATHS = /^\/(git\/notifyCommit|github-webhook\/?|gitea-webhook\/post|generic-webhook-trigger\/invoke|project\/[^/]+)$/;

/** A request for one of the webhook endpoints (no JSON parsing, no token). */
export function isWebhook(ctx: Context): boolean {
  return PATHS.test(ctx.path);
}

async function request(ctx: Context): Promise<WebhookRequest> {
  const raw = await readRawBody(ctx);
  let parsed: unknown;
  return {
    headers: (name) => ctx.get(name),
    raw,
    payload: () => (parsed ??= parsePayload(raw, ctx.get('content-type'))),
    address: ctx.ip,
  };
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function webhookRoutes(webhooks: WebhooksService): Router {
  const r = new Router();
  const text = (ctx: Context, body: string) => {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = body;
  };
  const notifyCommit = async (ctx: Context) => {
    await readRawBody(ctx, 64 * 1024); // the parameters are in the query; a body is read and dropped
    const q = ctx.query;
    text(ctx, await webhooks.notifyCommit({ url: one(q.url), branches: one(q.branches), sha1: one(q.sha1), token: one(q.token) }, ctx.ip));
  };
  r.get('/git/notifyCommit', notifyCommit);
  r.post('/git/notifyCommit', notifyCommit);
  for (const path of ['/github-webhook/', '/github-webhook']) {
    r.post(path, async (ctx) => text(ctx, await webhooks.github(await request(ctx))));
  }
  r.post('/gitea-webhook/post', async (ctx) => text(ctx, await webhooks.gitea(await request(ctx))));
  r.post('/project/:job', async (ctx) => text(ctx, await webhooks.gitlab(ctx.params.job!, await request(ctx))));
  const generic = async (ctx: Context) => {
    const bearer = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];
    const token = one(ctx.query.token) || ctx.get('token') || bearer;
    ctx.body = await webhooks.generic(token || undefined, await request(ctx));
  };
  r.get('/generic-webhook-trigger/invoke', generic);
  r.post('/generic-webhook-trigger/invoke', generic);
  return r;
}
