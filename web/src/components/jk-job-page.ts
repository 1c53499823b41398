/**
 * A job: description, actions (build, configure, enable/disable, delete), permalinks, upstream and
 * downstream projects, the last successful build's artifacts, a duration chart and the paginated
 * build history. Follows live events for this job.
 */
import { LitElement, css, html, nothing } from 'lit';
import { deleteJob, getBuild, getJob, listBuilds, setJobEnabled, triggerBuild } from '../api/jobs.ts';
import type { Build, JobDetails, Permalinks } from '../api/types.ts';
import { coalesce, LiveEventsController } from '../controllers/live-events.ts';
import { ago, duration } from '../format.ts';
import { buildUrl, jobUrl, navigate } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { statusBall, statusStyles } from '../styles/status.ts';
import './jk-artifact-list.ts';
import './jk-duration-chart.ts';
import './jk-markdown.ts';
import { toast } from './jk-toast.ts';

const PAGE = 25;
/** Jenkins' permalinks with its wording; only those that name a build are listed. */
const PERMALINKS: [keyof Permalinks, string][] = [
  ['lastBuild', 'Last build'], ['lastStableBuild', 'Last stable build'], ['lastSuccessfulBuild', 'Last successful build'], ['lastFailedBuild', 'Last failed build'],
  ['lastUnstableBuild', 'Last unstable build'], ['lastUnsuccessfulBuild', 'Last unsuccessful build'], ['lastCompletedBuild', 'Last completed build'],
];

export class JkJobPage extends LitElement {
  static override properties = {
    jobName: {}, job: { state: true }, builds: { state: true }, hasOlder: { state: true }, lastSuccess: { state: true }, error: { state: true },
  };
  declare jobName: string;
  declare job: JobDetails | null;
  declare builds: Build[];
  declare hasOlder: boolean;
  declare lastSuccess: Build | null;
  declare error: string;
  readonly #reload = coalesce(() => void this.#load(), 300);

  constructor() {
    super();
    this.jobName = '';
    this.job = null;
    this.builds = [];
    this.hasOlder = false;
    this.lastSuccess = null;
    this.error = '';
    new LiveEventsController(this, (e) => {
      if (!e || ('job' in e && e.job === this.job?.name)) this.#reload();
    });
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('jobName')) void this.#load();
  }

  async #load() {
    try {
      const [job, builds] = await Promise.all([getJob(this.jobName), listBuilds(this.jobName, { limit: Math.max(PAGE, this.builds.length) })]);
      this.job = job;
      this.builds = builds;
      this.hasOlder = builds.length >= PAGE && builds.at(-1)?.number !== 1;
      // Asked only when it exists: a page makes no request that is bound to fail.
      this.lastSuccess = job.permalinks?.lastSuccessfulBuild ? await getBuild(this.jobName, job.permalinks.lastSuccessfulBuild) : null;
      this.error = '';
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async #older() {
    const before = this.builds.at(-1)?.number;
    if (!before) return;
    const more = await listBuilds(this.jobName, { limit: PAGE, before });
    this.builds = [...this.builds, ...more];
    this.hasOlder = more.length === PAGE && more.at(-1)?.number !== 1;
  }

  async #build() {
    if (this.job!.parameters.length > 0) return navigate(`${jobUrl(this.job!.name)}build`);
    try {
      await triggerBuild(this.job!.name);
      toast('Build scheduled');
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  async #toggle() {
    try {
      this.job = { ...this.job!, ...(await setJobEnabled(this.job!.name, this.job!.disabled)) };
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  async #delete() {
    try {
      await deleteJob(this.job!.name);
      toast(`Deleted ${this.job!.name}`);
      navigate('/');
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  static override styles = [
    sharedStyles,
    statusStyles,
    css`
      .layout { display: grid; grid-template-columns: 15rem minmax(0, 1fr); gap: var(--jk-space-4); align-items: start; }
      @media (max-width: 860px) { .layout { grid-template-columns: minmax(0, 1fr); } }
      .actions { display: flex; flex-direction: column; gap: 6px; }
      .actions button, .actions .button { justify-content: flex-start; }
      h1 { display: flex; gap: 10px; align-items: center; }
      ul.plain { margin: 0; padding-left: 1.1rem; }
      .history td:first-child { width: 2rem; }
      dialog { border: 1px solid var(--jk-border); border-radius: var(--jk-radius); padding: var(--jk-space-5); max-width: 28rem; }
      dialog::backdrop { background: rgb(0 0 0 / 35%); }
      .grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: var(--jk-space-4); margin-block: var(--jk-space-4); }
      .grid2 > .panel { margin-top: 0; } /* the grid's gap spaces them; .panel + .panel would offset all but the first */
    `,
  ];

  override render() {
    if (this.error && !this.job) return html`<div class="panel"><p class="banner error" role="alert">${this.error}</p><a href="/">Back to the dashboard</a></div>`;
    const job = this.job;
    if (!job) return html`<p class="muted">Loading…</p>`;
    const building = this.builds.some((b) => b.building);
    return html`<div class="layout">
      <nav class="panel actions" aria-label="Job actions">
        <a href="/">← Dashboard</a>
        ${job.disabled ? nothing : html`<button class="primary" @click=${this.#build}>${job.parameters.length ? 'Build with Parameters' : 'Build Now'}</button>`}
        <a class="button" href=${`${jobUrl(job.name)}configure`}>Configure</a>
        ${job.scm ? html`<a class="button" href=${`${jobUrl(job.name)}changes`}>Recent Changes</a>` : nothing}
        ${job.scm && job.triggers.pollScm !== undefined ? html`<a class="button" href=${`${jobUrl(job.name)}scmPollLog/`}>Git Polling Log</a>` : nothing}
        <button @click=${this.#toggle}>${job.disabled ? 'Enable' : 'Disable'} project</button>
        <button class="danger" @click=${() => this.renderRoot.querySelector('dialog')!.showModal()}>Delete project</button>
      </nav>
      <div>
        <section class="panel">
          <h1>${statusBall(this.builds.find((b) => b.state === 'finished')?.result ?? null, { building, disabled: job.disabled })} <span>Project ${job.name}</span></h1>
          ${job.disabled ? html`<p class="banner info">This project is disabled: it cannot be built.</p>` : nothing}
          ${job.description ? html`<jk-markdown .source=${job.description}></jk-markdown>` : html`<p class="muted">No description.</p>`}
        </section>
        <div class="grid2">
          <section class="panel"><h3>Permalinks</h3>${this.#permalinks(job)}</section>
          <section class="panel"><h3>Related projects</h3>
            ${this.#projects('Upstream Projects', job.upstreamProjects)}${this.#projects('Downstream Projects', job.downstreamProjects)}</section>
          <section class="panel"><h3>Last Successful Artifacts</h3>
            ${this.lastSuccess?.artifacts?.length
              ? html`<jk-artifact-list .job=${job.name} .build=${this.lastSuccess.number!} .artifacts=${this.lastSuccess.artifacts}></jk-artifact-list>`
              : html`<p class="muted">None.</p>`}</section>
        </div>
        <section class="panel">
          <h2>Build History</h2>
          <jk-duration-chart .builds=${this.builds}></jk-duration-chart>
          ${this.builds.length === 0 ? html`<p class="empty">No builds yet${job.disabled ? '.' : ' — press Build Now.'}</p>` : html`
            <table class="history"><thead><tr><th><span class="visually-hidden">Status</span></th><th>Build</th><th>Started</th><th>Duration</th><th>Cause</th></tr></thead>
            <tbody>${this.builds.map((b) => html`<tr>
              <td>${statusBall(b.result, { building: b.building, queued: b.state === 'queued' })}</td>
              <td>${b.number === null ? html`<span class="muted">queued</span>` : html`<a href=${buildUrl(job.name, b.number)}>#${b.number}</a>`}</td>
              <td title=${b.startedAt ?? ''}>${b.startedAt ? ago(b.startedAt) : '—'}</td>
              <td>${b.building ? 'running' : duration(b.durationMs)}</td>
              <td class="muted">${b.causes[0]?.description ?? ''}</td></tr>`)}</tbody></table>
            ${this.hasOlder ? html`<p><button @click=${this.#older}>Older builds</button></p>` : nothing}`}
        </section>
      </div>
      <dialog aria-labelledby="delete-title">
        <h2 id="delete-title">Delete ‘${job.name}’?</h2>
        <p>Its builds, logs and artifacts are deleted too. This cannot be undone.</p>
        <form method="dialog" class="row"><span class="spacer"></span><button value="cancel">Cancel</button>
          <button class="danger" value="delete" @click=${this.#delete}>Delete</button></form>
      </dialog>
    </div>`;
  }

  #permalinks(job: JobDetails) {
    const links = PERMALINKS.flatMap(([ref, text]) => (job.permalinks?.[ref] ? [[ref, text, job.permalinks[ref]] as const] : []));
    if (links.length === 0) return html`<p class="muted">None: no builds yet.</p>`;
    return html`<ul class="plain">${links.map(([ref, text, n]) => html`<li><a href=${buildUrl(job.name, ref)}>${text} (#${n})</a></li>`)}</ul>`;
  }

  #projects(title: string, names: string[] | undefined) {
    if (!names?.length) return html`<p class="muted">${title}: none</p>`;
    return html`<p>${title}:</p><ul class="plain">${names.map((n) => html`<li><a href=${jobUrl(n)}>${n}</a></li>`)}</ul>`;
  }
}
customElements.define('jk-job-page', JkJobPage);
