/**
 * Slack Notifications (slackNotifier publishers): at a build's start and end, the messages the
 * publishers' checkboxes ask for go to the outbox (one per publisher and channel); the sender posts
 * them with the configured credential, an end replying in the thread of its start (bot token).
 */
import type { DatabaseTransactionConnection } from 'slonik';
import type { SlackNotifierPublisher, SlackSettings } from '../../../shared/src/notifications.ts';
import type { BuildChange, BuildNotifier } from '../builds/build-notifiers.ts';
import type { OutboxEntry, OutboxMessage, OutboxSender } from '../outbox/outbox.ts';
import { PermanentFailure } from '../outbox/outbox.ts';
import type { SettingsService } from '../settings/settings.ts';
import { buildFacts, type BuildFacts } from './build-facts.ts';
import type { ConsoleNote } from './console-note.ts';
import { secretOfKind, type CredentialSecrets } from './credential-secrets.ts';
import { postToWebhook, postWithToken, type PostedMessage } from './slack-client.ts';
import { endMessage, endWanted, startMessage, type SlackMessage } from './slack-message.ts';

export const SLACK_KIND = 'slack';

interface SlackPayload {
  /** The channel for a bot token ('' with a webhook). */
  channel: string;
  message: SlackMessage;
}

/** "#a, #b c" → ["#a", "#b", "c"]. */
const channelsOf = (s: string) => s.split(/[\s,]+/).filter((c) => c !== '');

export class SlackNotifier implements BuildNotifier, OutboxSender {
  readonly #settings: SettingsService;
  readonly #credentials: CredentialSecrets;
  readonly #note: ConsoleNote;
  constructor(deps: { settings: SettingsService; credentials: CredentialSecrets; note: ConsoleNote }) {
    this.#settings = deps.settings;
    this.#credentials = deps.credentials;
    this.#note = deps.note;
  }

  async messages(tx: DatabaseTransactionConnection, change: BuildChange): Promise<OutboxEntry[]> {
    const publishers = change.job.publishers.flatMap((p, index) => (p.type === 'slackNotifier' ? [{ p, index }] : []));
    if (publishers.length === 0) return [];
    const slack = (await this.#settings.notifications(tx)).slack;
    const facts = await buildFacts(tx, change);
    const entries: OutboxEntry[] = [];
    for (const { p, index } of publishers) {
      const message = messageFor(p, change, facts);
      if (!message) continue;
      for (const channel of slack ? targetsOf(p, slack) : ['']) {
        entries.push({ kind: SLACK_KIND, buildId: change.row.id, event: change.event, target: `${index}:${channel}`, payload: { channel, message } satisfies SlackPayload });
      }
    }
    return entries;
  }

  async send(m: OutboxMessage, earlier: (event: string) => Promise<unknown>): Promise<unknown> {
    const { channel, message } = m.payload as SlackPayload;
    const slack = (await this.#settings.notifications()).slack;
    if (!slack) throw new PermanentFailure('Slack is not configured (Manage Jonkkins → System → Slack)');
    const secret = await secretOfKind(this.#credentials, slack.credentialId, 'secretText', 'Slack');
    if (slack.auth === 'webhook') {
      await postToWebhook(secret.secret, message);
      return null;
    }
    const to = channel || channelsOf(slack.defaultChannel)[0];
    if (!to) throw new PermanentFailure('Slack: no channel (set one on the publisher or a default channel)');
    const start = m.event === 'finished' ? ((await earlier('started')) as PostedMessage | null) : null;
    return postWithToken(slack.baseUrl, secret.secret, start ? { channel: start.channel, thread_ts: start.ts, ...message } : { channel: to, ...message });
  }

  async gaveUp(m: OutboxMessage, reason: string): Promise<void> {
    await this.#note(m.buildId, `Slack notification failed (${m.event}): ${reason}`);
  }
}

/** The message this publisher asks for at this change, or null. */
function messageFor(p: SlackNotifierPublisher, change: BuildChange, facts: BuildFacts): SlackMessage | null {
  if (change.event === 'started') return p.notifyStart ? startMessage(p, facts) : null;
  return endWanted(p, change.result!, facts) ? endMessage(p, change.result!, facts) : null;
}

/** The publisher's channels (else the default ones) for a bot token; one webhook post otherwise. */
function targetsOf(p: SlackNotifierPublisher, slack: SlackSettings): string[] {
  if (slack.auth === 'webhook') return [''];
  const channels = channelsOf(p.channel ?? '');
  return channels.length > 0 ? channels : channelsOf(slack.defaultChannel).length > 0 ? channelsOf(slack.defaultChannel) : [''];
}
