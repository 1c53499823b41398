/** Build History: every build of every job, running and finished, newest first, paged back. */
import { LitElement, css, html, nothing } from 'lit';
import { listAllBuilds } from '../api/jobs.ts';
import type { Build } from '../api/types.ts';
import { coalesce, LiveEventsController } from '../controllers/live-events.ts';
import { ago, duration } from '../format.ts';
import { buildUrl, jobUrl } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { statusBall, statusStyles } from '../styles/status.ts';

const PAGE = 50;

export class JkHistoryPage extends LitElement {
  static override properties = { builds: { state: true }, hasOlder: { state: true } };
  declare builds: Build[] | null;
  declare hasOlder: boolean;
  /** Reloads as many builds as are shown (at least a page), so "Older builds" pages stay. */
  readonly #reload = coalesce(() => void this.#load(), 500);

  constructor() {
    super();
    this.builds = null;
    this.hasOlder = false;
    new LiveEventsController(this, (e) => {
      if (!e || e.type === 'build.started' || e.type === 'build.finished') this.#reload();
    }, { loadNow: true });
  }

  async #load() {
    const limit = Math.min(500, Math.max(PAGE, this.builds?.length ?? 0));
    const builds = await listAllBuilds({ limit });
    this.builds = builds;
    this.hasOlder = builds.length === limit;
  }

  async #older() {
    const before = this.builds?.at(-1)?.queueId;
    if (!before) return;
    const more = await listAllBuilds({ limit: PAGE, before });
    this.builds = [...(this.builds ?? []), ...more];
    this.hasOlder = more.length === PAGE;
  }

  static override styles = [sharedStyles, statusStyles, css`th:first-child, td:first-child { width: 2rem; }`];

  override render() {
    const builds = this.builds;
    return html`<section class="panel"><h1>Build History</h1>
      ${builds === null ? html`<p class="muted">Loading…</p>` : builds.length === 0 ? html`<p class="empty">No builds yet.</p>` : html`<table>
        <thead><tr><th><span class="visually-hidden">Status</span></th><th>Build</th><th>Started</th><th>Duration</th></tr></thead>
        <tbody>${builds.map((b) => html`<tr data-build=${`${b.job}#${b.number}`}><td>${statusBall(b.result, { building: b.building })}</td>
          <td><a href=${jobUrl(b.job)}>${b.job}</a> <a href=${buildUrl(b.job, b.number!)}>#${b.number}</a></td>
          <td title=${b.startedAt ?? ''}>${ago(b.startedAt)}</td><td>${b.building ? 'running' : duration(b.durationMs)}</td></tr>`)}</tbody></table>
        ${this.hasOlder ? html`<p><button @click=${this.#older}>Older builds</button></p>` : nothing}`}
    </section>`;
  }
}
customElements.define('jk-history-page', JkHistoryPage);
