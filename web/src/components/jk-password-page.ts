/** Your account → Password: change your own password, giving the current one (the server checks it). */
import { LitElement, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { updateUser } from '../api/people.ts';
import { session } from '../api/session.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

export class JkPasswordPage extends LitElement {
  static override properties = { error: { state: true }, busy: { state: true } };
  declare error: ApiError | Error | null;
  declare busy: boolean;

  constructor() {
    super();
    this.error = null;
    this.busy = false;
  }

  static override styles = [sharedStyles];

  async #submit(e: SubmitEvent) {
    e.preventDefault();
    const formEl = e.target as HTMLFormElement;
    const form = new FormData(formEl);
    const [password, confirm] = [String(form.get('password')), String(form.get('confirm'))];
    if (password !== confirm) {
      this.error = new ApiError(400, 'bad_request', 'The new passwords differ', [{ field: 'confirm', message: 'must be the same as the new password' }]);
      return;
    }
    this.busy = true;
    try {
      await updateUser(session.claims!.sub, { password, currentPassword: String(form.get('currentPassword')) });
      this.error = null;
      formEl.reset();
      toast('Password changed: your other sessions have ended');
    } catch (err) {
      this.error = err as Error;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const err = (f: string) => (this.error instanceof ApiError ? this.error.fieldMessage(f) : undefined);
    const fieldError = (f: string) => (err(f) ? html`<div class="field-error" role="alert">${err(f)}</div>` : nothing);
    const general = this.error && !(this.error instanceof ApiError && this.error.details.length > 0) ? html`<p class="banner error" role="alert">${this.error.message}</p>` : nothing;
    return html`<section class="panel"><h1>Password of ${session.claims?.sub ?? ''}</h1>
      ${general}
      <form @submit=${this.#submit}>
        <div class="field"><label for="current-password">Current password</label><input id="current-password" name="currentPassword" type="password" autocomplete="current-password" required>${fieldError('currentPassword')}</div>
        <div class="field"><label for="new-password">New password</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="8" required>${fieldError('password')}</div>
        <div class="field"><label for="confirm-password">Confirm new password</label><input id="confirm-password" name="confirm" type="password" autocomplete="new-password" required>${fieldError('confirm')}</div>
        <button class="primary" type="submit" ?disabled=${this.busy}>Change password</button>
      </form>
    </section>`;
  }
}
customElements.define('jk-password-page', JkPasswordPage);
