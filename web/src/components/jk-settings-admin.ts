/** Manage → Security (self sign-up) and System (public URL; Slack and e-mail below it). */
import { LitElement, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { getSecurity, getSystem, saveSecurity, saveSystem } from '../api/people.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';
import './jk-notification-settings.ts';

export class JkSettingsAdmin extends LitElement {
  static override properties = { section: {}, selfSignup: { state: true }, publicUrl: { state: true }, error: { state: true } };
  declare section: 'security' | 'system';
  declare selfSignup: boolean | null;
  declare publicUrl: string | null;
  declare error: ApiError | Error | null;

  constructor() {
    super();
    this.section = 'security';
    this.selfSignup = null;
    this.publicUrl = null;
    this.error = null;
  }

  override connectedCallback() {
    super.connectedCallback();
    void getSecurity().then((s) => (this.selfSignup = s.selfSignup));
    void getSystem().then((s) => (this.publicUrl = s.publicUrl));
  }

  async #save(e: SubmitEvent) {
    e.preventDefault();
    try {
      if (this.section === 'security') await saveSecurity({ selfSignup: Boolean(this.selfSignup) });
      else this.publicUrl = (await saveSystem({ publicUrl: this.publicUrl ?? '' })).publicUrl;
      this.error = null;
      toast('Saved');
    } catch (err) {
      this.error = err as Error;
    }
  }

  static override styles = [sharedStyles];

  override render() {
    const urlError = this.error instanceof ApiError ? this.error.fieldMessage('publicUrl') : undefined;
    return html`<form class="panel" @submit=${this.#save}>
      ${this.error && !urlError ? html`<p class="banner error" role="alert">${this.error.message}</p>` : nothing}
      ${this.section === 'security' ? html`<h1>Security</h1>
        <div class="field"><label class="check"><input type="checkbox" .checked=${Boolean(this.selfSignup)} ?disabled=${this.selfSignup === null}
          @change=${(e: Event) => (this.selfSignup = (e.target as HTMLInputElement).checked)}> Allow users to sign up</label>
          <div class="hint">Anyone who can reach this server may then create an account (role: user).</div></div>`
        : html`<h1>System</h1>
        <div class="field"><label for="public-url">Jonkkins URL</label>
          <input id="public-url" type="url" .value=${this.publicUrl ?? ''} aria-invalid=${urlError ? 'true' : 'false'} @input=${(e: InputEvent) => (this.publicUrl = (e.target as HTMLInputElement).value)}>
          <div class="hint">The address people and agents reach Jonkkins at: BUILD_URL, links and agent commands use it.</div>
          ${urlError ? html`<div class="field-error">${urlError}</div>` : nothing}</div>`}
      <button class="primary" type="submit">Save</button></form>
      ${this.section === 'system' ? html`<jk-notification-settings></jk-notification-settings>` : nothing}`;
  }
}
customElements.define('jk-settings-admin', JkSettingsAdmin);
