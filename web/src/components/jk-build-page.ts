/**
 * One build: result, causes (upstream builds linked), parameters, agent and executor, timings,
 * artifacts, downstream builds, and the live console with an abort button while it runs.
 */
import { LitElement, css, html, nothing } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { abortBuild, getBuild } from '../api/jobs.ts';
import type { Build } from '../api/types.ts';
import { coalesce, LiveEventsController } from '../controllers/live-events.ts';
import { TickerController } from '../controllers/ticker.ts';
import { dateTime, duration } from '../format.ts';
import { buildUrl, jobUrl } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { statusBall, statusStyles } from '../styles/status.ts';
import './jk-artifact-list.ts';
import './jk-change-set.ts';
import './jk-console.ts';
import './jk-progress.ts';
import { toast } from './jk-toast.ts';

export class JkBuildPage extends LitElement {
  static override properties = { jobName: {}, buildRef: {}, build: { state: true }, error: { state: true } };
  declare jobName: string;
  declare buildRef: string;
  declare build: Build | null;
  declare error: string;
  readonly #reload = coalesce(() => void this.#load(), 200);

  constructor() {
    super();
    this.jobName = '';
    this.buildRef = '';
    this.build = null;
    this.error = '';
    new TickerController(this, 1000);
    new LiveEventsController(this, (e) => {
      if (!e || ((e.type === 'build.started' || e.type === 'build.finished') && e.job === this.build?.job && e.queueId === this.build?.queueId)) this.#reload();
    });
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('jobName') || changed.has('buildRef')) {
      this.build = null;
      void this.#load();
    }
  }

  async #load() {
    try {
      this.build = await getBuild(this.jobName, this.buildRef);
      this.error = '';
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async #abort() {
    try {
      await abortBuild(this.jobName, this.build!.number!);
      toast('Abort requested');
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  static override styles = [
    sharedStyles,
    statusStyles,
    css`
      h1 { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
      .result { font-size: var(--jk-text-sm); font-weight: 700; padding: 2px 10px; border-radius: 10px; background: var(--jk-surface-2); }
      .result.SUCCESS { color: var(--jk-success); } .result.FAILURE { color: var(--jk-failure); }
      .result.UNSTABLE { color: var(--jk-unstable); } .result.ABORTED { color: var(--jk-aborted); } .result.running { color: var(--jk-running); }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
      dt { color: var(--jk-muted); font-size: var(--jk-text-sm); }
      dd { margin: 0; overflow-wrap: anywhere; }
      .grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: var(--jk-space-4); margin-bottom: var(--jk-space-4); }
      .grid2 .panel + .panel { margin-top: 0; }
      ul { margin: 0; padding-left: 1.1rem; }
      td.value { font-family: var(--jk-font-mono); font-size: var(--jk-text-sm); white-space: pre-wrap; overflow-wrap: anywhere; }
      jk-progress { max-width: 20rem; margin-top: 4px; }
    `,
  ];

  override render() {
    const b = this.build;
    if (!b) return this.error ? html`<div class="panel"><p class="banner error" role="alert">${this.error}</p><a href=${jobUrl(this.jobName)}>Back to ${this.jobName}</a></div>` : html`<p class="muted">Loading…</p>`;
    const status = b.building ? 'running' : b.state === 'queued' ? 'queued' : (b.result ?? '');
    const elapsed = b.startedAt ? (b.finishedAt ? Date.parse(b.finishedAt) : Date.now()) - Date.parse(b.startedAt) : null;
    return html`
      <p><a href=${jobUrl(b.job)}>← ${b.job}</a></p>
      <h1>${statusBall(b.result, { building: b.building, queued: b.state === 'queued' })}<span>${b.job} #${b.number ?? '(queued)'}</span>
        <span class="result ${status}" data-result=${status}>${status.toUpperCase() || 'UNKNOWN'}</span>
        <span class="spacer"></span>
        ${b.building || b.state === 'queued' ? html`<button class="danger" @click=${this.#abort}>■ Abort</button>` : nothing}</h1>
      <div class="grid2">
        <section class="panel"><h3>Summary</h3><dl>
          <dt>Cause</dt><dd>${b.causes.map((c) => html`<div>${c.kind === 'upstream' && c.job && c.number
            ? html`Started by upstream project <a href=${jobUrl(c.job)}>${c.job}</a> build number <a href=${buildUrl(c.job, c.number)}>${c.number}</a>`
            : c.description}</div>`)}</dd>
          <dt>Agent</dt><dd>${b.agent ? html`${b.agent}, executor ${(b.executor ?? 0) + 1}` : '—'}</dd>
          <dt>Queued</dt><dd>${dateTime(b.queuedAt)}</dd>
          <dt>Started</dt><dd>${dateTime(b.startedAt)}</dd>
          <dt>Duration</dt><dd>${duration(elapsed)}${b.building && b.startedAt ? html`<jk-progress .startedAt=${b.startedAt} .estimatedMs=${b.estimatedDurationMs}></jk-progress>` : nothing}</dd>
          ${b.building && b.estimatedDurationMs ? html`<dt>Estimated</dt><dd>${duration(b.estimatedDurationMs)}</dd>` : nothing}
          ${b.abortedBy ? html`<dt>Aborted by</dt><dd>${b.abortedBy}</dd>` : nothing}
          ${b.revision ? html`<dt>Revision</dt><dd><code class="revision">${b.revision.commit}</code> (${b.revision.branch})<div class="muted">${b.revision.url}</div></dd>` : nothing}
        </dl></section>
        ${b.changeSet ? html`<section class="panel changes"><h3>Changes</h3><jk-change-set .changeSet=${b.changeSet} files></jk-change-set></section>` : nothing}
        ${Object.keys(b.parameters).length ? html`<section class="panel"><h3>Parameters</h3><table><tbody>
          ${Object.entries(b.parameters).map(([k, v]) => html`<tr><th scope="row">${k}</th><td class="value">${v}</td></tr>`)}</tbody></table></section>` : nothing}
        ${b.artifacts?.length ? html`<section class="panel"><h3>Build Artifacts</h3><jk-artifact-list .job=${b.job} .build=${b.number!} .artifacts=${b.artifacts}></jk-artifact-list></section>` : nothing}
        ${b.downstream?.length ? html`<section class="panel"><h3>Downstream Builds</h3><ul>${b.downstream.map((d) => html`<li>
          <a href=${jobUrl(d.job)}>${d.job}</a> ${d.number ? html`<a href=${buildUrl(d.job, d.number)}>#${d.number}</a>` : html`<span class="muted">(queued)</span>`}</li>`)}</ul></section>` : nothing}
      </div>
      <section class="panel"><h2>Console Output</h2>
        ${b.number === null ? html`<p class="muted">The build is still in the queue.</p>`
          : keyed(`${b.job}#${b.number}`, html`<jk-console .job=${b.job} .buildRef=${String(b.number)} .logSize=${b.logSize} @console-end=${() => this.#reload()}></jk-console>`)}
      </section>`;
  }
}
customElements.define('jk-build-page', JkBuildPage);
