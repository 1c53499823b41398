/**
 * A person's page (Jenkins' /user/<id>/): who they are, and their API tokens — for HTTP Basic
 * `user:token` from scripts and Jenkins clients. A new token's value is shown once, here; the
 * list shows names, when each was made and last used, and how often (never a value). The person
 * makes their own tokens; they and administrators may revoke them.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { createApiToken, getUser, listApiTokens, revokeApiToken } from '../api/people.ts';
import { session } from '../api/session.ts';
import type { ApiToken, NewApiToken, User } from '../api/types.ts';
import { ago } from '../format.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

export class JkUserPage extends LitElement {
  static override properties = { username: {}, user: { state: true }, tokens: { state: true }, created: { state: true }, error: { state: true }, tokenError: { state: true } };
  declare username: string;
  declare user: User | null;
  declare tokens: ApiToken[] | null;
  declare created: NewApiToken | null;
  declare error: string;
  declare tokenError: ApiError | Error | null;

  constructor() {
    super();
    this.username = '';
    this.user = null;
    this.tokens = null;
    this.created = null;
    this.error = '';
    this.tokenError = null;
  }

  get #self(): boolean {
    return session.claims?.sub.toLowerCase() === this.username.toLowerCase();
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (!changed.has('username')) return;
    this.user = null;
    this.tokens = null;
    this.created = null;
    getUser(this.username).then((u) => (this.user = u), (err: Error) => (this.error = err.message));
    if (this.#self || session.isAdmin) this.#reload();
  }

  #reload() {
    listApiTokens(this.username).then((t) => (this.tokens = t), (err: Error) => (this.tokenError = err));
  }

  async #create(e: SubmitEvent) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    try {
      this.created = await createApiToken(this.username, String(new FormData(form).get('name') ?? ''));
      this.tokenError = null;
      form.reset();
      this.#reload();
    } catch (err) {
      this.tokenError = err as Error;
    }
  }

  async #revoke(token: ApiToken) {
    try {
      await revokeApiToken(this.username, token.uuid);
      if (this.created?.tokenUuid === token.uuid) this.created = null;
      toast(`Revoked ‘${token.name}’`);
      this.#reload();
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  async #copy(text: string) {
    await navigator.clipboard?.writeText(text).then(() => toast('Copied'), () => toast('Select the token and copy it', 'error'));
  }

  static override styles = [
    sharedStyles,
    css`
      .secret { border: 2px solid var(--jk-unstable); }
      code.token { display: block; background: var(--jk-console-bg); color: var(--jk-console-text); padding: var(--jk-space-3); border-radius: var(--jk-radius-sm); overflow-wrap: anywhere; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: var(--jk-space-1) var(--jk-space-4); }
      dt { color: var(--jk-muted); }
      .wrap { overflow-x: auto; }
    `,
  ];

  override render() {
    const u = this.user;
    return html`
      <section class="panel"><h1>${this.username}</h1>
        ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing}
        ${u ? html`<dl><dt>Name</dt><dd>${u.fullName || html`<span class="muted">—</span>`}</dd><dt>Role</dt><dd>${u.role}</dd>
          <dt>Last login</dt><dd title=${u.lastLoginAt ?? ''}>${u.lastLoginAt ? ago(u.lastLoginAt) : 'never'}</dd></dl>` : this.error ? nothing : html`<p class="muted">Loading…</p>`}
      </section>
      ${this.#self || session.isAdmin ? this.#tokensPanel() : nothing}`;
  }

  #tokensPanel() {
    const fieldError = this.tokenError instanceof ApiError ? this.tokenError.fieldMessage('name') : undefined;
    return html`
      ${this.created ? html`<section class="panel secret" aria-live="polite"><h2>API token ‘${this.created.tokenName}’</h2>
        <p>Copy it <strong>now</strong>: it is not shown again (only its SHA-256 is kept). Use it as the password of HTTP Basic, e.g.
          <code>curl -u ${this.username}:TOKEN …/job/NAME/build</code>, or with python-jenkins and other Jenkins clients.</p>
        <code class="token" data-testid="new-token">${this.created.tokenValue}</code>
        <div class="row"><button @click=${() => this.#copy(this.created!.tokenValue)}>Copy token</button><button @click=${() => (this.created = null)}>Done</button></div></section>` : nothing}
      <section class="panel"><h2>API Token</h2>
        <p class="muted">For scripts and Jenkins clients: HTTP Basic with your user ID and a token. A token needs no crumb and is checked without your password.</p>
        ${this.tokenError && !fieldError ? html`<p class="banner error" role="alert">${this.tokenError.message}</p>` : nothing}
        ${this.tokens === null ? html`<p class="muted">Loading…</p>` : this.tokens.length === 0 ? html`<p class="empty">No API tokens.</p>` : html`<div class="wrap"><table>
          <thead><tr><th>Name</th><th>Created</th><th>Last used</th><th class="num">Uses</th><th></th></tr></thead>
          <tbody>${this.tokens.map((t) => html`<tr data-token=${t.uuid}><td>${t.name}</td><td title=${t.createdAt}>${ago(t.createdAt)}</td>
            <td title=${t.lastUsedAt ?? ''}>${t.lastUsedAt ? ago(t.lastUsedAt) : 'never'}</td><td class="num">${t.useCount}</td>
            <td><button class="danger" @click=${() => this.#revoke(t)}>Revoke</button></td></tr>`)}</tbody></table></div>`}
        ${this.#self ? html`<form class="row" @submit=${this.#create}>
          <div class="field"><label for="token-name">New token name</label><input id="token-name" name="name" required maxlength="200" placeholder="e.g. ci-scripts">
            ${fieldError ? html`<div class="field-error">${fieldError}</div>` : nothing}</div>
          <button class="primary" type="submit">Create token</button></form>` : nothing}
      </section>`;
  }
}
customElements.define('jk-user-page', JkUserPage);
