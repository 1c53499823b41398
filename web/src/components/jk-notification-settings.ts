/**
 * Manage Jonkkins → System: the Slack and E-mail Notification sections of Jenkins' Configure System,
 * each with its "Test configuration" button (sends with the form's values, before they are saved).
 * Secrets are never typed here: each section names a credential (Manage Jonkkins → Credentials).
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { listCredentials, type CredentialMetadata } from '../api/credentials.ts';
import { getNotifications, saveNotifications, testMail, testSlack, type NotificationTestResult } from '../api/notifications.ts';
import { DraftForm } from '../config-form.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

const NEW_SLACK = { auth: 'botToken', credentialId: '', defaultChannel: '', baseUrl: 'https://slack.com/api/' };
const NEW_MAIL = { host: '', port: 25, security: 'starttls', from: '' };

type Outcome = NotificationTestResult | null;

export class JkNotificationSettings extends LitElement {
  static override properties = {
    form: { state: true }, revision: { state: true }, credentials: { state: true }, error: { state: true },
    slackTest: { state: true }, mailTest: { state: true }, testChannel: { state: true }, testRecipient: { state: true }, busy: { state: true },
  };
  declare form: DraftForm | null;
  declare revision: number;
  declare credentials: CredentialMetadata[];
  declare error: string;
  declare slackTest: Outcome;
  declare mailTest: Outcome;
  declare testChannel: string;
  declare testRecipient: string;
  declare busy: boolean;

  constructor() {
    super();
    this.form = null;
    this.revision = 0;
    this.credentials = [];
    this.error = '';
    this.slackTest = null;
    this.mailTest = null;
    this.testChannel = '';
    this.testRecipient = '';
    this.busy = false;
  }

  override connectedCallback() {
    super.connectedCallback();
    void getNotifications().then(
      (s) => (this.form = new DraftForm(structuredClone(s) as Record<string, unknown>, () => this.revision++)),
      (err: Error) => (this.error = err.message),
    );
    void listCredentials().then((c) => (this.credentials = c), () => {});
  }

  #fail(err: unknown) {
    // A field's path in the answer is its path in the draft (slack.baseUrl, mail.host; a test's recipient: to).
    this.form!.errors = new Map((err instanceof ApiError ? err.details : []).map((d) => [d.field, d.message]));
    this.error = (err as Error).message;
    this.revision++;
  }

  async #save(e: SubmitEvent) {
    e.preventDefault();
    try {
      const saved = await saveNotifications(this.form!.draft as never);
      this.form = new DraftForm(structuredClone(saved) as Record<string, unknown>, () => this.revision++);
      this.error = '';
      toast('Saved');
    } catch (err) {
      this.#fail(err);
    }
  }

  async #test(which: 'slack' | 'mail') {
    this.busy = true;
    try {
      const draft = this.form!.draft as Record<string, never>;
      if (which === 'slack') this.slackTest = await testSlack(draft.slack!, this.testChannel.trim() || undefined);
      else this.mailTest = await testMail(draft.mail!, this.testRecipient.trim());
      this.form!.errors.clear();
      this.error = '';
    } catch (err) {
      this.#fail(err);
    } finally {
      this.busy = false;
    }
  }

  #credentialChoices(kind: string) {
    const ids = this.credentials.filter((c) => c.kind === kind).map((c) => [c.id, c.description ? `${c.id} (${c.description})` : c.id] as const);
    return [['', '- none -'] as const, ...ids];
  }

  static override styles = [
    sharedStyles,
    css`
      :host { display: block; margin-top: var(--jk-space-4); }
      .test { justify-content: flex-start; }
      .inline { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: 0 var(--jk-space-3); }
      h2 { margin-top: var(--jk-space-4); border-bottom: 1px solid var(--jk-border); padding-bottom: 4px; }
      .test { display: flex; gap: var(--jk-space-2); align-items: end; flex-wrap: wrap; }
      .test .field { flex: 0 1 32rem; min-width: 12rem; margin-bottom: 0; }
      .outcome { margin-top: var(--jk-space-2); }
      .outcome.ok { color: var(--jk-success, #2a7d2a); }
      .outcome.failed { color: var(--jk-danger, #b00020); }
    `,
  ];

  #outcome(o: Outcome, id: string) {
    return o ? html`<div id=${id} class="outcome ${o.ok ? 'ok' : 'failed'}" role="status">${o.message}</div>` : nothing;
  }

  override render() {
    const f = this.form;
    if (!f) return this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : html`<p class="muted">Loading…</p>`;
    const slack = f.get(['slack']) as Record<string, unknown> | null;
    const mail = f.get(['mail']) as Record<string, unknown> | null;
    return html`<form class="panel" @submit=${this.#save} aria-label="Notifications">
      ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing}
      <h2 id="slack">Slack</h2>
      <div class="field"><label class="check"><input id="slack-enabled" type="checkbox" .checked=${slack !== null}
        @change=${(e: Event) => f.set(['slack'], (e.target as HTMLInputElement).checked ? structuredClone(NEW_SLACK) : null)}> Send build notifications to Slack</label></div>
      ${slack === null ? nothing : html`
        ${f.select(['slack', 'auth'], 'How to post', [['botToken', 'Bot token (chat.postMessage; ends reply in the start’s thread)'], ['webhook', 'Incoming webhook URL']])}
        ${f.select(['slack', 'credentialId'], slack.auth === 'webhook' ? 'Webhook URL credential (Secret text)' : 'Bot token credential (Secret text, xoxb-…)', this.#credentialChoices('secretText'))}
        ${this.credentials.some((c) => c.kind === 'secretText') ? nothing : html`<p class="hint">No Secret text credential yet: add one under Manage Jonkkins → Credentials.</p>`}
        ${slack.auth === 'webhook' ? nothing : f.text(['slack', 'defaultChannel'], 'Default channel / member id', { hint: 'Where jobs without a channel of their own post, e.g. #builds' })}
        ${slack.auth === 'webhook' ? nothing : f.text(['slack', 'baseUrl'], 'Base URL', { hint: 'The Web API root; a Slack-compatible server (Mattermost…) has its own.' })}
        <div class="test">
          ${slack.auth === 'webhook' ? nothing : html`<div class="field"><label for="slack-test-channel">Test channel</label>
            <input id="slack-test-channel" .value=${this.testChannel} placeholder="the default channel" @input=${(e: InputEvent) => (this.testChannel = (e.target as HTMLInputElement).value)}></div>`}
          <button id="slack-test" type="button" ?disabled=${this.busy} @click=${() => this.#test('slack')}>Test configuration</button>
        </div>
        ${this.#outcome(this.slackTest, 'slack-test-outcome')}`}
      <h2 id="mail">E-mail Notification</h2>
      <div class="field"><label class="check"><input id="mail-enabled" type="checkbox" .checked=${mail !== null}
        @change=${(e: Event) => f.set(['mail'], (e.target as HTMLInputElement).checked ? structuredClone(NEW_MAIL) : null)}> Send build e-mails</label></div>
      ${mail === null ? nothing : html`
        <div class="inline">${f.text(['mail', 'host'], 'SMTP server')}${f.number(['mail', 'port'], 'SMTP port', { min: 1 })}</div>
        ${f.select(['mail', 'security'], 'Connection', [['starttls', 'STARTTLS (required)'], ['tls', 'SSL/TLS (SMTPS)'], ['none', 'Plain (no TLS)']])}
        ${f.select(['mail', 'credentialId'], 'SMTP authentication (Username with password)', this.#credentialChoices('usernamePassword'))}
        ${f.text(['mail', 'from'], 'System Admin e-mail address', { hint: 'The sender of every mail, e.g. ci@example.com' })}
        ${f.textarea(['mail', 'trustedCertificates'], 'Trusted certificates (PEM)', { code: true, rows: 3, hint: 'Only for a server whose certificate the system does not trust (a private CA, self-signed).' })}
        <div class="test">
          <div class="field"><label for="mail-test-to">Test e-mail recipient</label>
            <input id="mail-test-to" inputmode="email" .value=${this.testRecipient} @input=${(e: InputEvent) => (this.testRecipient = (e.target as HTMLInputElement).value)}>${f.errorAt(['to'])}</div>
          <button id="mail-test" type="button" ?disabled=${this.busy} @click=${() => this.#test('mail')}>Test configuration by sending test e-mail</button>
        </div>
        ${this.#outcome(this.mailTest, 'mail-test-outcome')}`}
      <p><button class="primary" type="submit" id="notifications-save">Save</button></p>
    </form>`;
  }
}
customElements.define('jk-notification-settings', JkNotificationSettings);
