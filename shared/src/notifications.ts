/**
 * Notifications (Jenkins' slack and mailer plugins): the instance-wide settings (Manage Jonkkins →
 * System) and the two post-build publishers of a job. Secrets are never here: the settings name
 * credentials by id (a secretText bot token or webhook URL, a usernamePassword SMTP login).
 */
import { z } from 'zod';
import { CredentialId } from './credentials.ts';

/** An absolute http(s) URL (a Slack-compatible API root, e.g. Mattermost's). */
const HttpUrl = z
  .string()
  .max(2000)
  .refine((s) => URL.canParse(s) && ['http:', 'https:'].includes(new URL(s).protocol), 'must be an absolute http(s) URL')
  .transform((s) => (s.endsWith('/') ? s : `${s}/`));

/** A Slack channel: `#name`, a channel id, or `@user`; several separated by commas or spaces. */
export const SlackChannels = z.string().max(1000).regex(/^[^\0-\x1f<>&]*$/, 'must be channel names or ids, without control characters, "<", ">" or "&"');

export const SlackSettings = z.strictObject({
  /**
   * How messages are sent: `botToken` — the credential is a secretText `xoxb-…` token and messages
   * go through `chat.postMessage` (an end replies in its start message's thread); `webhook` — the
   * credential is a secretText holding an incoming-webhook URL (one channel, no threads).
   */
  auth: z.enum(['botToken', 'webhook']),
  credentialId: CredentialId,
  /** Where publishers without a channel of their own post (bot token); a webhook posts to its own. */
  defaultChannel: SlackChannels.default(''),
  /** The Web API root `chat.postMessage` is under (a Slack-compatible server such as Mattermost). */
  baseUrl: HttpUrl.default('https://slack.com/api/'),
});
export type SlackSettings = z.infer<typeof SlackSettings>;

/** A mail address as SMTP takes it: no spaces, control characters or angle brackets. */
export const MailAddress = z.string().max(320).regex(/^[^\s<>@,;"]+@[^\s<>@,;"]+$/, 'must be a mail address such as ci@example.com');

export const MailSettings = z.strictObject({
  host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:\-[\]]+$/, 'must be a host name or address'),
  port: z.number().int().min(1).max(65535).default(25),
  /** `starttls`: plain connection upgraded by STARTTLS (required); `tls`: TLS from the first byte (SMTPS, 465); `none`: plain (loopback relays). */
  security: z.enum(['none', 'starttls', 'tls']).default('starttls'),
  /** A usernamePassword credential for SMTP AUTH; absent = no login. */
  credentialId: CredentialId.optional(),
  /** The sender (Jenkins' "System Admin e-mail address"). */
  from: MailAddress,
  /** PEM certificate(s) to trust for this server besides the system's (a relay with a private CA or a self-signed certificate). */
  trustedCertificates: z.string().max(64 * 1024).optional(),
});
export type MailSettings = z.infer<typeof MailSettings>;

/** Manage Jonkkins → System → Slack and E-mail Notification; null = not configured. */
export const NotificationSettings = z.strictObject({
  slack: SlackSettings.nullable().default(null),
  mail: MailSettings.nullable().default(null),
});
export type NotificationSettings = z.infer<typeof NotificationSettings>;

/** POST /api/settings/notifications/test: the Slack section's "Test configuration" (the form's values, not yet saved). */
export const SlackTestRequest = z.strictObject({ slack: SlackSettings, channel: SlackChannels.optional() });
/** The E-mail section's "Test configuration by sending test e-mail". */
export const MailTestRequest = z.strictObject({ mail: MailSettings, to: MailAddress });

/** What a test answers: sent, or the service's words. */
export const NotificationTestResult = z.object({ ok: z.boolean(), message: z.string() });
export type NotificationTestResult = z.infer<typeof NotificationTestResult>;

/** Slack Notifications (jenkinsci/slack-plugin's SlackNotifier): which results post, and what the message says. */
export const SlackNotifierPublisher = z.strictObject({
  type: z.literal('slackNotifier'),
  /** Overrides the default channel. */
  channel: SlackChannels.optional(),
  notifyStart: z.boolean().default(false),
  notifySuccess: z.boolean().default(false),
  notifyAborted: z.boolean().default(false),
  notifyNotBuilt: z.boolean().default(false),
  notifyUnstable: z.boolean().default(false),
  /** A failure after a build that did not fail. */
  notifyFailure: z.boolean().default(true),
  /** A success after a failure or an unstable build. */
  notifyBackToNormal: z.boolean().default(true),
  /** A failure after a failure. */
  notifyRepeatedFailure: z.boolean().default(false),
  includeCustomMessage: z.boolean().default(false),
  customMessage: z.string().max(10_000).default(''),
  /** What the end message lists of the build's commits. */
  commitInfo: z.enum(['none', 'authors', 'authorsAndTitles']).default('none'),
});
export type SlackNotifierPublisher = z.infer<typeof SlackNotifierPublisher>;

/** E-mail Notification (hudson.tasks.Mailer): mail on failure, unstable and back to normal. */
export const MailerPublisher = z.strictObject({
  type: z.literal('mailer'),
  /** Addresses separated by spaces or commas (may be empty with sendToIndividuals). */
  recipients: z
    .string()
    .max(10_000)
    .refine((s) => splitRecipients(s).every((a) => MailAddress.safeParse(a).success), 'must be mail addresses separated by spaces or commas'),
  /** Jenkins' !dontNotifyEveryUnstableBuild: false mails only the first unstable build after a success. */
  notifyEveryUnstableBuild: z.boolean().default(true),
  /** Also mail the authors of the build's changes. */
  sendToIndividuals: z.boolean().default(false),
});
export type MailerPublisher = z.infer<typeof MailerPublisher>;

export function splitRecipients(s: string): string[] {
  return s.split(/[\s,]+/).filter((a) => a !== '');
}
