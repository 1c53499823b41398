/** A job's Git Polling Log: what its last Poll SCM run saw (Jenkins' /job/<name>/scmPollLog/). */
import { LitElement, css, html, nothing } from 'lit';
import { pollingLog } from '../api/jobs.ts';
import { jobUrl } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';

export class JkPollingLogPage extends LitElement {
  static override properties = { jobName: {}, log: { state: true }, error: { state: true } };
  declare jobName: string;
  declare log: string | null;
  declare error: string;

  constructor() {
    super();
    this.jobName = '';
    this.log = null;
    this.error = '';
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('jobName')) void this.#load();
  }

  async #load() {
    try {
      this.log = await pollingLog(this.jobName);
      this.error = '';
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  static override styles = [sharedStyles, css`pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }`];

  override render() {
    return html`<p><a href=${jobUrl(this.jobName)}>← ${this.jobName}</a></p>
      <section class="panel"><h1>Git Polling Log</h1>
        ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing}
        ${this.log === null ? html`<p class="muted">Loading…</p>` : html`<pre>${this.log}</pre>`}
        <p><button type="button" @click=${() => this.#load()}>Refresh</button></p>
      </section>`;
  }
}
customElements.define('jk-polling-log-page', JkPollingLogPage);
