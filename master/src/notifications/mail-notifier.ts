/**
 * E-mail Notification (mailer publishers): at a build's end, the mail MailSender's rules ask for
 * goes to the outbox, to the publisher's recipients and, with sendToIndividuals, the culprits
 * (the authors of the build's changes, and of the failing builds' before it); the sender delivers it over the configured SMTP server (nodemailer).
 */
// nodemailer loads on the first mail (~90 ms at every start otherwise, for masters that never mail).
const loadNodemailer = async () => (await import('nodemailer')).default;
import type { DatabaseTransactionConnection } from 'slonik';
import { MailAddress, splitRecipients, type MailSettings } from '../../../shared/src/notifications.ts';
import type { BuildChange, BuildNotifier } from '../builds/build-notifiers.ts';
import { PermanentFailure, type OutboxEntry, type OutboxMessage, type OutboxSender } from '../outbox/outbox.ts';
import type { SettingsService } from '../settings/settings.ts';
import { buildFacts, culpritChanges } from './build-facts.ts';
import type { ChangeEntry } from './change-sets.ts';
import type { ConsoleNote } from './console-note.ts';
import type { ConsoleTail } from './console-tail.ts';
import { secretOfKind, type CredentialSecrets } from './credential-secrets.ts';
import { mailBody, mailSubject } from './mail-rules.ts';

export const MAIL_KIND = 'mail';

export interface MailPayload {
  to: string[];
  subject: string;
  text: string;
  /** A failure mail ends with the console's last lines, read when it is sent. */
  withConsole?: boolean;
}

/** An SMTP conversation's deadlines: a hung server must not hold the sender for long. */
const SMTP_TIMEOUT_MS = 20_000;

export class MailNotifier implements BuildNotifier, OutboxSender {
  readonly #settings: SettingsService;
  readonly #credentials: CredentialSecrets;
  readonly #note: ConsoleNote;
  readonly #tail: ConsoleTail;
  constructor(deps: { settings: SettingsService; credentials: CredentialSecrets; note: ConsoleNote; tail: ConsoleTail }) {
    this.#settings = deps.settings;
    this.#credentials = deps.credentials;
    this.#note = deps.note;
    this.#tail = deps.tail;
  }

  async messages(tx: DatabaseTransactionConnection, change: BuildChange): Promise<OutboxEntry[]> {
    if (change.event !== 'finished') return [];
    const publishers = change.job.publishers.flatMap((p, index) => (p.type === 'mailer' ? [{ p, index }] : []));
    if (publishers.length === 0) return [];
    const facts = await buildFacts(tx, change);
    const entries: OutboxEntry[] = [];
    let culprits: ChangeEntry[] | undefined;
    for (const { p, index } of publishers) {
      const subject = mailSubject(p, change.result!, facts);
      if (!subject) continue;
      const to = new Set(splitRecipients(p.recipients));
      if (p.sendToIndividuals) for (const c of (culprits ??= await culpritChanges(tx, facts))) if (MailAddress.safeParse(c.authorEmail).success) to.add(c.authorEmail);
      if (to.size === 0) continue;
      entries.push({ kind: MAIL_KIND, buildId: change.row.id, event: 'finished', target: String(index), payload: { to: [...to], subject, text: mailBody(facts), withConsole: change.result === 'FAILURE' } satisfies MailPayload });
    }
    return entries;
  }

  async send(m: OutboxMessage): Promise<unknown> {
    const mail = (await this.#settings.notifications()).mail;
    if (!mail) throw new PermanentFailure('E-mail is not configured (Manage Jonkkins → System → E-mail Notification)');
    const payload = m.payload as MailPayload;
    const text = payload.withConsole ? `${payload.text}\n------------------------------------------\n${await this.#tail(m.buildId)}` : payload.text;
    return sendMail(mail, this.#credentials, { ...payload, text });
  }

  async gaveUp(m: OutboxMessage, reason: string): Promise<void> {
    await this.#note(m.buildId, `E-mail notification failed: ${reason}`);
  }
}

/** Sends one mail; answers the server's message id. A 5xx answer or an untrusted certificate is permanent. */
export async function sendMail(mail: MailSettings, credentials: CredentialSecrets, payload: MailPayload): Promise<{ messageId: string }> {
  const login = mail.credentialId ? await secretOfKind(credentials, mail.credentialId, 'usernamePassword', 'SMTP') : null;
  const transport = (await loadNodemailer()).createTransport({
    host: mail.host,
    port: mail.port,
    secure: mail.security === 'tls',
    requireTLS: mail.security === 'starttls',
    ignoreTLS: mail.security === 'none',
    auth: login ? { user: login.username, pass: login.password } : undefined,
    tls: mail.trustedCertificates ? { ca: mail.trustedCertificates } : undefined,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  try {
    const info = await transport.sendMail({ from: mail.from, to: payload.to, subject: payload.subject, text: payload.text });
    return { messageId: String(info.messageId) };
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    const message = `SMTP: ${(err as Error).message}`;
    // A refused login or recipient, or a certificate we do not trust: no retry changes them.
    if ((code !== undefined && code >= 500) || /certificate/i.test(message)) throw new PermanentFailure(message);
    throw new Error(message);
  } finally {
    transport.close();
  }
}
