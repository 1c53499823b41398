/**
 * Login, and on first run "Create the admin account". After either, back to the page the person
 * was on (`?next=`); an expired session says so.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { login, registerUser, setupInfo } from '../api/people.ts';
import { navigate } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';

type Mode = 'loading' | 'login' | 'first-admin' | 'sign-up';

export class JkLoginPage extends LitElement {
  static override properties = { mode: { state: true }, error: { state: true }, selfSignup: { state: true }, setupCodeRequired: { state: true }, busy: { state: true } };
  declare mode: Mode;
  declare error: string;
  declare selfSignup: boolean;
  /** The master listens beyond loopback: creating the first admin needs the code it logged. */
  declare setupCodeRequired: boolean;
  declare busy: boolean;

  constructor() {
    super();
    this.mode = 'loading';
    this.error = '';
    this.selfSignup = false;
    this.setupCodeRequired = false;
    this.busy = false;
  }

  override async connectedCallback() {
    super.connectedCallback();
    try {
      const info = await setupInfo();
      this.selfSignup = info.selfSignup;
      this.setupCodeRequired = info.setupCodeRequired;
      this.mode = info.needsAdmin ? 'first-admin' : 'login';
    } catch (err) {
      this.mode = 'login';
      this.error = `The server cannot be reached: ${(err as Error).message}`;
    }
  }

  get #next(): string {
    const next = new URLSearchParams(location.search).get('next') ?? '/';
    // Only paths of this site: never an open redirect.
    return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
  }

  async #submit(e: SubmitEvent) {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const username = String(form.get('username') ?? '').trim();
    const password = String(form.get('password') ?? '');
    this.error = '';
    if (this.mode !== 'login' && password !== form.get('confirm')) {
      this.error = 'The two passwords differ.';
      return;
    }
    this.busy = true;
    try {
      if (this.mode !== 'login') {
        const setupCode = this.mode === 'first-admin' && this.setupCodeRequired ? String(form.get('setupCode') ?? '').trim() : undefined;
        await registerUser({ username, password, fullName: String(form.get('fullName') ?? ''), ...(setupCode ? { setupCode } : {}) }, true);
      }
      await login(username, password);
      navigate(this.#next, { replace: true });
    } catch (err) {
      // A refused registration says why (e.g. a wrong setup code); a refused login must not say which half was wrong.
      this.error = err instanceof ApiError && err.status === 401 && this.mode !== 'login' ? err.message : problem(err);
    } finally {
      this.busy = false;
    }
  }

  static override styles = [
    sharedStyles,
    css`
      .card { max-width: 26rem; margin: 8vh auto 0; }
      input { max-width: none; }
      button.primary { width: 100%; justify-content: center; padding: 9px; }
      .switch { margin-top: var(--jk-space-3); font-size: var(--jk-text-sm); }
    `,
  ];

  override render() {
    if (this.mode === 'loading') return html`<div class="card panel muted">Loading…</div>`;
    const creating = this.mode !== 'login';
    const expired = new URLSearchParams(location.search).get('reason') === 'expired';
    return html`
      <form class="card panel" @submit=${this.#submit}>
        <h1>${this.mode === 'first-admin' ? 'Create the admin account' : this.mode === 'sign-up' ? 'Create an account' : 'Log in to Jonkkins'}</h1>
        ${this.mode === 'first-admin' ? html`<p class="banner info">Welcome! No one has an account yet: the first account administers Jonkkins.</p>` : nothing}
        ${this.mode === 'first-admin' && this.setupCodeRequired
          ? html`<div class="field"><label for="setupCode">Setup code</label>
              <input id="setupCode" name="setupCode" autocomplete="off" spellcheck="false" required>
              <p class="hint">Printed in the master's log when it started, and kept in <code>secrets/initialAdminPassword</code> under its <code>JONKKINS_HOME</code>.</p></div>`
          : nothing}
        ${expired && this.mode === 'login' ? html`<p class="banner info" role="status">Your session has expired. Please log in again.</p>` : nothing}
        ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing}
        <div class="field"><label for="username">Username</label><input id="username" name="username" autocomplete="username" required autofocus></div>
        ${creating ? html`<div class="field"><label for="fullName">Full name</label><input id="fullName" name="fullName" autocomplete="name"></div>` : nothing}
        <div class="field"><label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete=${creating ? 'new-password' : 'current-password'} required minlength=${creating ? 8 : 1}></div>
        ${creating ? html`<div class="field"><label for="confirm">Confirm password</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required></div>` : nothing}
        <button class="primary" type="submit" ?disabled=${this.busy}>${creating ? 'Create account' : 'Log in'}</button>
        ${this.selfSignup && this.mode !== 'first-admin'
          ? html`<p class="switch">${this.mode === 'login'
              ? html`No account? <a href="#" @click=${(e: Event) => { e.preventDefault(); this.mode = 'sign-up'; }}>Create one</a>`
              : html`Have an account? <a href="#" @click=${(e: Event) => { e.preventDefault(); this.mode = 'login'; }}>Log in</a>`}</p>`
          : nothing}
      </form>
    `;
  }
}
customElements.define('jk-login-page', JkLoginPage);

/** What the person is told when logging in (or creating the account) failed. */
function problem(err: unknown): string {
  if (!(err instanceof ApiError)) return (err as Error).message;
  if (err.status === 401 && err.code === 'unauthorized' && !/sign-up/i.test(err.message)) return 'Invalid username or password.';
  if (err.status === 429) {
    const wait = err.retryAfterSeconds;
    return wait === null ? 'Too many failed attempts. Please wait before trying again.' : `Too many failed attempts. Try again in ${waitText(wait)}.`;
  }
  return err.message;
}

/** 45 → "45 seconds", 61 → "2 minutes", 900 → "15 minutes". */
function waitText(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.ceil(seconds))} second${Math.ceil(seconds) === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
