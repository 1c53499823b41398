/**
 * The dashboard: tasks and the queue / executor panels on the side, view tabs and the job table
 * in the main area. Everything follows the live event stream.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { listJobs } from '../api/jobs.ts';
import { listViews } from '../api/people.ts';
import { session } from '../api/session.ts';
import type { JobSummary, View } from '../api/types.ts';
import { coalesce, LiveEventsController } from '../controllers/live-events.ts';
import { viewUrl } from '../router.ts';
import { icons } from '../styles/icons.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import './jk-build-queue.ts';
import './jk-executor-status.ts';
import './jk-job-table.ts';

export class JkHomePage extends LitElement {
  static override properties = { viewName: {}, jobs: { state: true }, views: { state: true }, error: { state: true } };
  declare viewName: string | null;
  declare jobs: JobSummary[] | null;
  declare views: View[];
  declare error: string;
  readonly #reload = coalesce(() => void this.#load(), 1000); // the whole job list: at most once a second

  constructor() {
    super();
    this.viewName = null;
    this.jobs = null;
    this.views = [];
    this.error = '';
    new LiveEventsController(this, (e) => {
      if (!e || e.type.startsWith('build.') || e.type === 'job.changed') this.#reload();
    }, { loadNow: true });
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('viewName') && this.hasUpdated) {
      this.jobs = null;
      void this.#load();
    }
  }

  async #load() {
    const viewName = this.viewName;
    try {
      const views = listViews().catch(() => this.views); // the dashboard works without its tabs
      // A view's jobs come from the master; an unknown view holds none (the page says so).
      const jobs = listJobs(viewName ? { view: viewName } : {}).catch((err: unknown) => {
        if (viewName && err instanceof ApiError && err.status === 404) return [];
        throw err;
      });
      const [shown, known] = await Promise.all([jobs, views]);
      if (viewName !== this.viewName) return; // another tab was picked meanwhile
      [this.jobs, this.views] = [shown, known];
      this.error = '';
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  static override styles = [
    sharedStyles,
    css`
      .layout { display: grid; grid-template-columns: 17rem minmax(0, 1fr); gap: var(--jk-space-4); align-items: start; }
      @media (max-width: 860px) { .layout { grid-template-columns: minmax(0, 1fr); } aside { order: 2; } }
      .tasks { list-style: none; margin: 0; padding: 0; }
      .tasks a { display: flex; gap: var(--jk-space-2); align-items: center; padding: 6px 8px; border-radius: var(--jk-radius-sm); color: var(--jk-text-color); font-weight: 500; }
      .tasks a:hover { background: var(--jk-surface-2); text-decoration: none; }
      .tasks .ic { width: 1.3rem; display: inline-flex; color: var(--jk-muted); }
      .tabs { display: flex; gap: 2px; flex-wrap: wrap; border-bottom: 1px solid var(--jk-border); margin-bottom: 0; }
      .tabs a { padding: 7px 14px; border: 1px solid transparent; border-bottom: none; border-radius: var(--jk-radius-sm) var(--jk-radius-sm) 0 0; color: var(--jk-muted); font-weight: 550; }
      .tabs a[aria-current='page'] { background: var(--jk-surface); border-color: var(--jk-border); color: var(--jk-text-color); margin-bottom: -1px; }
      .tabs a.add { font-weight: 700; }
      .board { border-top-left-radius: 0; padding: 0; overflow: hidden; }
      .board .empty a { font-weight: 600; }
      .view-head { padding: var(--jk-space-3) var(--jk-space-4) 0; }
    `,
  ];

  override render() {
    const view = this.viewName ? this.views.find((v) => v.name.toLowerCase() === this.viewName!.toLowerCase()) : undefined;
    const shown = this.jobs;
    return html`<div class="layout">
      <aside>
        <nav class="panel" aria-label="Tasks"><ul class="tasks">
          <li><a href="/new-item"><span class="ic">${icons.plus}</span>New Item</a></li>
          <li><a href="/people"><span class="ic">${icons.people}</span>People</a></li>
          <li><a href="/builds"><span class="ic">${icons.history}</span>Build History</a></li>
          ${session.isAdmin ? html`<li><a href="/manage"><span class="ic">${icons.gear}</span>Manage Jonkkins</a></li>` : nothing}
          <li><a href="/new-view"><span class="ic">${icons.view}</span>New View</a></li>
        </ul></nav>
        <section class="panel" aria-label="Build Queue"><jk-build-queue></jk-build-queue></section>
        <section class="panel" aria-label="Build Executor Status"><jk-executor-status></jk-executor-status></section>
      </aside>
      <section>
        <nav class="tabs" aria-label="Views">
          <a href="/" aria-current=${this.viewName ? 'false' : 'page'}>All</a>
          ${this.views.map((v) => html`<a href=${viewUrl(v.name)} aria-current=${view === v ? 'page' : 'false'}>${v.name}</a>`)}
          <a class="add" href="/new-view" title="New View" aria-label="New View">+</a>
        </nav>
        <div class="panel board">
          ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing}
          ${view ? html`<div class="view-head row"><span class="muted">${view.description}</span><span class="spacer"></span><a href=${`${viewUrl(view.name)}configure`}>Edit View</a></div>` : nothing}
          ${this.viewName && this.jobs && !view ? html`<p class="empty">No view named ‘${this.viewName}’.</p>` : nothing}
          ${shown === null ? html`<p class="empty">Loading…</p>`
            : shown.length === 0 ? html`<p class="empty">${view ? 'No jobs in this view yet — ' : 'No jobs yet — '}<a href=${view ? `${viewUrl(view.name)}configure` : '/new-item'}>${view ? 'pick some' : 'create one'}</a>.</p>`
            : html`<jk-job-table .jobs=${shown}></jk-job-table>`}
        </div>
      </section>
    </div>`;
  }
}
customElements.define('jk-home-page', JkHomePage);
