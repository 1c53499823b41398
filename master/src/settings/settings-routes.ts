import Router from '@koa/router';
import { SystemSettings, WebhookSettings, type SetupInfo } from '../../../shared/src/settings.ts';
import { requireAdmin } from '../auth/authenticate.ts';
import { parseInput } from '../http/validate.ts';
import type { UsersService } from '../users/users.ts';
import type { SettingsService } from './settings.ts';

/** Anonymous: what the login page needs to know (is this the first run? may people sign up?), and nothing else. */
export function setupRoutes(users: UsersService, settings: SettingsService): Router {
  const r = new Router();
  r.get('/api/setup', async (ctx) => {
    const [anyUser, security] = await Promise.all([users.anyExist(), settings.security()]);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { needsAdmin: !anyUser, selfSignup: security.selfSignup, setupCodeRequired: !anyUser && users.setupCodeRequired } satisfies SetupInfo;
  });
  return r;
}

/** Manage Jonkkins → System (admin). */
export function systemSettingsRoutes(settings: SettingsService): Router {
  const r = new Router({ prefix: '/api/settings' });
  r.get('/system', requireAdmin, async (ctx) => {
    ctx.body = await settings.system();
  });
  r.put('/system', requireAdmin, async (ctx) => {
    ctx.body = await settings.setSystem(parseInput(SystemSettings, ctx.request.body));
  });
  r.get('/webhooks', requireAdmin, async (ctx) => {
    ctx.body = await settings.webhooks();
  });
  r.put('/webhooks', requireAdmin, async (ctx) => {
    ctx.body = await settings.setWebhooks(parseInput(WebhookSettings, ctx.request.body));
  });
  return r;
}
