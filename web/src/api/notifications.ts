/** Manage Jonkkins → System → Slack and E-mail Notification. */
import type { MailSettings, NotificationSettings, NotificationTestResult, SlackSettings } from '../../../shared/src/notifications.ts';
import { requestJson } from './http.ts';

export type { MailSettings, NotificationSettings, NotificationTestResult, SlackSettings };

export const getNotifications = () => requestJson<NotificationSettings>('GET', '/api/settings/notifications');
export const saveNotifications = (s: NotificationSettings) => requestJson<NotificationSettings>('PUT', '/api/settings/notifications', { body: s });
/** "Test configuration": the form's Slack settings, not yet saved; `channel` overrides the default channel. */
export const testSlack = (slack: SlackSettings, channel?: string) => requestJson<NotificationTestResult>('POST', '/api/settings/notifications/slack-test', { body: { slack, ...(channel ? { channel } : {}) } });
/** "Test configuration by sending test e-mail" to `to`. */
export const testMail = (mail: MailSettings, to: string) => requestJson<NotificationTestResult>('POST', '/api/settings/notifications/mail-test', { body: { mail, to } });
