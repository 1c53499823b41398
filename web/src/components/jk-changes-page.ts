/** A job's Recent Changes (Jenkins' /job/X/changes): the changes of its latest builds, with their files. */
import { LitElement, css, html } from 'lit';
import { recentChanges } from '../api/scm.ts';
import type { RecentChanges } from '../api/types.ts';
import { buildUrl, jobUrl } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { statusBall, statusStyles } from '../styles/status.ts';
import './jk-change-set.ts';

export class JkChangesPage extends LitElement {
  static override properties = { jobName: {}, builds: { state: true }, error: { state: true } };
  declare jobName: string;
  declare builds: RecentChanges['builds'] | null;
  declare error: string;

  constructor() {
    super();
    this.jobName = '';
    this.builds = null;
    this.error = '';
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (!changed.has('jobName')) return;
    this.builds = null;
    recentChanges(this.jobName).then(
      (r) => (this.builds = r.builds),
      (err: Error) => (this.error = err.message),
    );
  }

  static override styles = [sharedStyles, statusStyles, css`h2 { display: flex; gap: 8px; align-items: center; font-size: var(--jk-text-lg); }`];

  override render() {
    const back = html`<p><a href=${jobUrl(this.jobName)}>← ${this.jobName}</a></p>`;
    if (this.error) return html`${back}<p class="banner error" role="alert">${this.error}</p>`;
    if (!this.builds) return html`${back}<p class="muted">Loading…</p>`;
    return html`${back}<h1>Changes of ${this.jobName}</h1>
      ${this.builds.length === 0 ? html`<section class="panel"><p class="muted">No builds have checked out this job's repository yet.</p></section>` : this.builds.map((b) => html`
        <section class="panel" data-build=${b.number}><h2>${statusBall(b.result, {})}<a href=${buildUrl(this.jobName, b.number)}>#${b.number}</a>
          <span class="muted">${b.revision.branch} · <code>${b.revision.commit.slice(0, 8)}</code></span></h2>
          <jk-change-set .changeSet=${b.changeSet} files></jk-change-set></section>`)}`;
  }
}
customElements.define('jk-changes-page', JkChangesPage);
