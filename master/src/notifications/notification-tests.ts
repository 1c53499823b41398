/**
 * The settings page's "Test configuration" buttons, as Jenkins has them: a Slack message
 * ("Slack/Jonkkins plugin: you're all set on <url>") or a test mail, sent at once with the form's
 * values (not yet saved); the answer says sent, or what the service said.
 */
import type { z } from 'zod';
import type { MailTestRequest, NotificationTestResult, SlackTestRequest } from '../../../shared/src/notifications.ts';
import { secretOfKind, type CredentialSecrets } from './credential-secrets.ts';
import { sendMail } from './mail-notifier.ts';
import { postToWebhook, postWithToken } from './slack-client.ts';

export class NotificationTests {
  readonly #credentials: CredentialSecrets;
  readonly #publicUrl: () => Promise<string>;
  #mails = 0;
  constructor(deps: { credentials: CredentialSecrets; publicUrl: () => Promise<string> }) {
    this.#credentials = deps.credentials;
    this.#publicUrl = deps.publicUrl;
  }

  async slack({ slack, channel }: z.infer<typeof SlackTestRequest>): Promise<NotificationTestResult> {
    const text = `Slack/Jonkkins plugin: you're all set on ${await this.#publicUrl()}`;
    const message = { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }], color: 'good' };
    return outcome(async () => {
      const secret = await secretOfKind(this.#credentials, slack.credentialId, 'secretText', 'Slack');
      if (slack.auth === 'webhook') {
        await postToWebhook(secret.secret, message);
        return 'Success: the webhook took the message';
      }
      const to = (channel || slack.defaultChannel).split(/[\s,]+/).find((c) => c !== '');
      if (!to) return Promise.reject(new Error('name a channel (the default channel or the test channel)'));
      const posted = await postWithToken(slack.baseUrl, secret.secret, { channel: to, ...message });
      return `Success: posted to ${posted.channel}`;
    });
  }

  async mail({ mail, to }: z.infer<typeof MailTestRequest>): Promise<NotificationTestResult> {
    const n = ++this.#mails;
    return outcome(async () => {
      await sendMail(mail, this.#credentials, { to: [to], subject: `Test email #${n}`, text: `This is test email #${n} sent from Jonkkins (${await this.#publicUrl()})\n` });
      return `Email was successfully sent to ${to}`;
    });
  }
}

async function outcome(run: () => Promise<string>): Promise<NotificationTestResult> {
  try {
    return { ok: true, message: await run() };
  } catch (err) {
    return { ok: false, message: `Failed: ${(err as Error).message}` };
  }
}
