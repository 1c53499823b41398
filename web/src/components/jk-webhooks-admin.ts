/**
 * Manage → Webhooks: the secrets the forges sign with (secret text credentials), the git plugin's
 * notifyCommit access token, and the URLs each forge is given.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { CredentialMetadata } from '../api/credentials.ts';
import type { WebhookSettings } from '../../../shared/src/settings.ts';
import { listCredentials } from '../api/credentials.ts';
import { getWebhooks, saveWebhooks } from '../api/people.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

export class JkWebhooksAdmin extends LitElement {
  static override properties = { settings: { state: true }, credentials: { state: true }, error: { state: true } };
  declare settings: WebhookSettings | null;
  declare credentials: CredentialMetadata[];
  declare error: string;

  constructor() {
    super();
    this.settings = null;
    this.credentials = [];
    this.error = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void getWebhooks().then((s) => (this.settings = s), (err: Error) => (this.error = err.message));
    void listCredentials().then((c) => (this.credentials = c.filter((x) => x.kind === 'secretText')), () => {});
  }

  async #save(e: SubmitEvent) {
    e.preventDefault();
    try {
      this.settings = await saveWebhooks(this.settings!);
      this.error = '';
      toast('Saved');
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  #generate() {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    this.settings = { ...this.settings!, notifyCommitAccessToken: [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('') };
  }

  #credential(key: 'githubSecretCredentialsId' | 'giteaSecretCredentialsId', label: string, hint: string) {
    const value = this.settings![key];
    const known = this.credentials.some((c) => c.id === value);
    return html`<div class="field"><label for=${key}>${label}</label>
      <select id=${key} @change=${(e: Event) => (this.settings = { ...this.settings!, [key]: (e.target as HTMLSelectElement).value || null })}>
        <option value="" ?selected=${value === null}>- none: every delivery is refused -</option>
        ${value && !known ? html`<option value=${value} selected>${value}</option>` : nothing}
        ${this.credentials.map((c) => html`<option value=${c.id} ?selected=${c.id === value}>${c.id}${c.description ? ` (${c.description})` : ''}</option>`)}
      </select><div class="hint">${hint}</div></div>`;
  }

  static override styles = [sharedStyles, css`dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px var(--jk-space-3); } dd { margin: 0; font-family: var(--jk-font-mono); overflow-wrap: anywhere; }`];

  override render() {
    const s = this.settings;
    if (!s) return this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : html`<p class="muted">Loading…</p>`;
    const base = location.origin;
    return html`<form class="panel" @submit=${this.#save}><h1>Webhooks</h1>
      ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing}
      ${this.#credential('githubSecretCredentialsId', 'GitHub webhook secret', 'A secret text credential; GitHub signs each delivery with it (X-Hub-Signature-256).')}
      ${this.#credential('giteaSecretCredentialsId', 'Gitea webhook secret', 'A secret text credential; Gitea signs each delivery with it (X-Gitea-Signature).')}
      <div class="field"><label for="notify-token">notifyCommit access token</label>
        <input id="notify-token" .value=${s.notifyCommitAccessToken ?? ''} @input=${(e: InputEvent) => (this.settings = { ...s, notifyCommitAccessToken: (e.target as HTMLInputElement).value || null })}>
        <div class="hint">Required by /git/notifyCommit (token=…); at least 16 characters. **** keeps the saved one.</div></div>
      <p><button type="button" @click=${() => this.#generate()}>Generate token</button></p>
      <h2>URLs for the forges</h2>
      <dl>
        <dt>GitHub (push, JSON)</dt><dd>${base}/github-webhook/</dd>
        <dt>GitLab (per job, its secret token)</dt><dd>${base}/project/JOB_NAME</dd>
        <dt>Gitea</dt><dd>${base}/gitea-webhook/post</dd>
        <dt>git plugin</dt><dd>${base}/git/notifyCommit?url=REPOSITORY&amp;token=TOKEN</dd>
        <dt>Generic Webhook Trigger</dt><dd>${base}/generic-webhook-trigger/invoke?token=JOB_TOKEN</dd>
      </dl>
      <button class="primary" type="submit">Save</button></form>`;
  }
}
customElements.define('jk-webhooks-admin', JkWebhooksAdmin);
