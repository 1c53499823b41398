/** People: everyone with an account, their full name, role and last login; each links to their page. */
import { LitElement, html } from 'lit';
import { listUsers } from '../api/people.ts';
import type { User } from '../api/types.ts';
import { ago } from '../format.ts';
import { userUrl } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';

export class JkPeoplePage extends LitElement {
  static override properties = { users: { state: true }, error: { state: true } };
  declare users: User[] | null;
  declare error: string;

  constructor() {
    super();
    this.users = null;
    this.error = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    listUsers().then((u) => (this.users = u), (err: Error) => (this.error = err.message));
  }

  static override styles = [sharedStyles];

  override render() {
    return html`<section class="panel"><h1>People</h1>
      ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : ''}
      ${this.users === null ? html`<p class="muted">Loading…</p>` : html`<table>
        <thead><tr><th>User ID</th><th>Name</th><th>Role</th><th>Last login</th></tr></thead>
        <tbody>${this.users.map((u) => html`<tr><td><a href=${userUrl(u.username)}>${u.username}</a></td><td>${u.fullName || html`<span class="muted">—</span>`}</td><td>${u.role}</td>
          <td title=${u.lastLoginAt ?? ''}>${u.lastLoginAt ? ago(u.lastLoginAt) : 'never'}</td></tr>`)}</tbody></table>`}
    </section>`;
  }
}
customElements.define('jk-people-page', JkPeoplePage);
