/** Build History: the latest build of every job, newest first. */
import { LitElement, html } from 'lit';
import { listJobs } from '../api/jobs.ts';
import type { JobSummary } from '../api/types.ts';
import { coalesce, LiveEventsController } from '../controllers/live-events.ts';
import { ago, duration } from '../format.ts';
import { buildUrl, jobUrl } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { statusBall, statusStyles } from '../styles/status.ts';

export class JkHistoryPage extends LitElement {
  static override properties = { jobs: { state: true } };
  declare jobs: JobSummary[] | null;
  readonly #reload = coalesce(() => void listJobs().then((j) => (this.jobs = j)), 500);

  constructor() {
    super();
    this.jobs = null;
    new LiveEventsController(this, (e) => {
      if (!e || e.type === 'build.started' || e.type === 'build.finished') this.#reload();
    }, { loadNow: true });
  }

  static override styles = [sharedStyles, statusStyles];

  override render() {
    const built = (this.jobs ?? []).filter((j) => j.lastBuild?.startedAt).sort((a, b) => Date.parse(b.lastBuild!.startedAt!) - Date.parse(a.lastBuild!.startedAt!));
    return html`<section class="panel"><h1>Build History</h1>
      ${this.jobs === null ? html`<p class="muted">Loading…</p>` : built.length === 0 ? html`<p class="empty">No builds yet.</p>` : html`<table>
        <thead><tr><th></th><th>Build</th><th>Started</th><th>Duration</th></tr></thead>
        <tbody>${built.map((j) => html`<tr><td>${statusBall(j.lastBuild!.result, { building: j.building && j.lastBuild!.result === null })}</td>
          <td><a href=${jobUrl(j.name)}>${j.name}</a> <a href=${buildUrl(j.name, j.lastBuild!.number)}>#${j.lastBuild!.number}</a></td>
          <td>${ago(j.lastBuild!.startedAt)}</td><td>${duration(j.lastBuild!.durationMs)}</td></tr>`)}</tbody></table>`}
    </section>`;
  }
}
customElements.define('jk-history-page', JkHistoryPage);
