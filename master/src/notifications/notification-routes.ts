/** Manage Jonkkins → System → Slack and E-mail Notification (admin): the settings and their "Test configuration" buttons. */
import Router from '@koa/router';
import { MailTestRequest, NotificationSettings, SlackTestRequest } from '../../../shared/src/notifications.ts';
import { requireAdmin } from '../auth/authenticate.ts';
import { parseInput } from '../http/validate.ts';
import type { SettingsService } from '../settings/settings.ts';
import type { NotificationTests } from './notification-tests.ts';

export function notificationRoutes(settings: SettingsService, tests: NotificationTests): Router {
  const r = new Router({ prefix: '/api/settings/notifications' });
  r.get('/', requireAdmin, async (ctx) => {
    ctx.body = await settings.notifications();
  });
  r.put('/', requireAdmin, async (ctx) => {
    ctx.body = await settings.setNotifications(parseInput(NotificationSettings, ctx.request.body));
  });
  r.post('/slack-test', requireAdmin, async (ctx) => {
    ctx.body = await tests.slack(parseInput(SlackTestRequest, ctx.request.body));
  });
  r.post('/mail-test', requireAdmin, async (ctx) => {
    ctx.body = await tests.mail(parseInput(MailTestRequest, ctx.request.body));
  });
  return r;
}
