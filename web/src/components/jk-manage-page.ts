/** Manage Jonkkins: Nodes, Users, Credentials, Security, System (admins only). */
import { LitElement, css, html } from 'lit';
import { session } from '../api/session.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import './jk-credentials-admin.ts';
import './jk-nodes-admin.ts';
import './jk-settings-admin.ts';
import './jk-users-admin.ts';
import './jk-webhooks-admin.ts';

const SECTIONS: [string, string, string][] = [
  ['nodes', 'Nodes', 'Agents: add, remove, see their executors; a new node shows its secret once and the command that starts it.'],
  ['users', 'Users', 'Create accounts, reset passwords, change roles.'],
  ['credentials', 'Credentials', 'Secrets jobs bind by id: secret text, username and password, SSH keys, secret files. Write-only.'],
  ['security', 'Security', 'Whether people may sign up by themselves.'],
  ['system', 'System', 'The public URL builds and agents use; Slack and e-mail notifications.'],
  ['webhooks', 'Webhooks', 'The GitHub and Gitea webhook secrets and the notifyCommit access token; the URLs forges call.'],
];

export class JkManagePage extends LitElement {
  static override properties = { section: {} };
  declare section: string | null;

  constructor() {
    super();
    this.section = null;
  }

  static override styles = [
    sharedStyles,
    css`
      .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: var(--jk-space-4); }
      .cards a { display: block; color: inherit; }
      .cards a:hover { text-decoration: none; border-color: var(--jk-accent); }
      .cards strong { color: var(--jk-accent); font-size: 1.05rem; }
    `,
  ];

  override render() {
    if (!session.isAdmin) return html`<div class="panel"><h1>Manage Jonkkins</h1><p class="banner error">Only administrators manage Jonkkins.</p></div>`;
    const crumb = html`<p><a href="/manage">← Manage Jonkkins</a></p>`;
    switch (this.section) {
      case 'nodes':
        return html`${crumb}<jk-nodes-admin></jk-nodes-admin>`;
      case 'users':
        return html`${crumb}<jk-users-admin></jk-users-admin>`;
      case 'credentials':
        return html`${crumb}<jk-credentials-admin></jk-credentials-admin>`;
      case 'webhooks':
        return html`${crumb}<jk-webhooks-admin></jk-webhooks-admin>`;
      case 'security':
      case 'system':
        return html`${crumb}<jk-settings-admin .section=${this.section}></jk-settings-admin>`;
      default:
        return html`<h1>Manage Jonkkins</h1><div class="cards">${SECTIONS.map(([id, title, text]) => html`<a class="panel" href=${`/manage/${id}`}><strong>${title}</strong><p class="muted">${text}</p></a>`)}</div>`;
    }
  }
}
customElements.define('jk-manage-page', JkManagePage);
