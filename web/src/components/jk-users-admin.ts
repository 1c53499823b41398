/** Manage → Users: create accounts, reset a password, change a role, delete. */
import { LitElement, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { deleteUser, listUsers, registerUser, updateUser } from '../api/people.ts';
import type { User } from '../api/types.ts';
import { ago } from '../format.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

export class JkUsersAdmin extends LitElement {
  static override properties = { users: { state: true }, error: { state: true } };
  declare users: User[] | null;
  declare error: ApiError | Error | null;

  constructor() {
    super();
    this.users = null;
    this.error = null;
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#load();
  }

  async #load() {
    this.users = await listUsers();
  }

  async #create(e: SubmitEvent) {
    e.preventDefault();
    const formEl = e.target as HTMLFormElement;
    const form = new FormData(formEl);
    try {
      await registerUser({ username: String(form.get('username')), fullName: String(form.get('fullName') ?? ''), password: String(form.get('password')), role: form.get('role') as 'admin' | 'user' });
      toast(`Created ${String(form.get('username'))}`);
      formEl.reset();
      this.error = null;
      await this.#load();
    } catch (err) {
      this.error = err as Error;
    }
  }

  async #act(what: () => Promise<unknown>, done: string) {
    try {
      await what();
      toast(done);
      await this.#load();
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  /** A refused change (the only admin cannot be demoted) puts the drop-down back to the role the user has. */
  async #changeRole(u: User, select: HTMLSelectElement) {
    try {
      await updateUser(u.username, { role: select.value as User['role'] });
      toast(`Role of ${u.username} changed`);
    } catch (err) {
      select.value = u.role;
      toast((err as Error).message, 'error');
    }
    await this.#load();
  }

  #resetPassword(u: User) {
    const password = prompt(`New password for ${u.username} (at least 8 characters)`);
    if (password) void this.#act(() => updateUser(u.username, { password }), `Password of ${u.username} changed`);
  }

  static override styles = [sharedStyles];

  override render() {
    const err = (f: string) => (this.error instanceof ApiError ? this.error.fieldMessage(f) : undefined);
    const fieldError = (f: string) => (err(f) ? html`<div class="field-error">${err(f)}</div>` : nothing);
    return html`<section class="panel"><h1>Users</h1>
      ${this.users === null ? html`<p class="muted">Loading…</p>` : html`<table>
        <thead><tr><th>User</th><th>Name</th><th>Role</th><th>Last login</th><th></th></tr></thead>
        <tbody>${this.users.map((u) => html`<tr><td>${u.username}</td><td>${u.fullName}</td>
          <td><select aria-label=${`Role of ${u.username}`} @change=${(e: Event) => this.#changeRole(u, e.target as HTMLSelectElement)}>
            ${['user', 'admin'].map((r) => html`<option .value=${r} ?selected=${u.role === r}>${r}</option>`)}</select></td>
          <td>${u.lastLoginAt ? ago(u.lastLoginAt) : 'never'}</td>
          <td class="row"><button @click=${() => this.#resetPassword(u)}>Reset password</button>
            <button class="danger" @click=${() => this.#act(() => deleteUser(u.username), `Deleted ${u.username}`)}>Delete</button></td></tr>`)}</tbody></table>`}
    </section>
    <form class="panel" @submit=${this.#create}><h2>Create User</h2>
      ${this.error && !(this.error instanceof ApiError && this.error.details.length) ? html`<p class="banner error" role="alert">${this.error.message}</p>` : nothing}
      <div class="field"><label for="u-name">Username</label><input id="u-name" name="username" required>${fieldError('username')}</div>
      <div class="field"><label for="u-full">Full name</label><input id="u-full" name="fullName"></div>
      <div class="field"><label for="u-pass">Password</label><input id="u-pass" name="password" type="password" autocomplete="new-password" required>${fieldError('password')}</div>
      <div class="field"><label for="u-role">Role</label><select id="u-role" name="role"><option value="user">user</option><option value="admin">admin</option></select></div>
      <button class="primary" type="submit">Create User</button></form>`;
  }
}
customElements.define('jk-users-admin', JkUsersAdmin);
