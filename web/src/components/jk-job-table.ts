/** The dashboard's job table: status, weather, name, last success / failure / duration, build button. */
import { LitElement, css, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { triggerBuild } from '../api/jobs.ts';
import type { JobSummary } from '../api/types.ts';
import { ago, duration } from '../format.ts';
import { buildUrl, jobUrl, navigate } from '../router.ts';
import { icons } from '../styles/icons.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { statusBall, statusStyles, weather } from '../styles/status.ts';
import { toast } from './jk-toast.ts';

export class JkJobTable extends LitElement {
  static override properties = { jobs: { attribute: false } };
  declare jobs: JobSummary[];

  constructor() {
    super();
    this.jobs = [];
  }

  async #build(job: JobSummary) {
    if (job.parameterized) return navigate(`${jobUrl(job.name)}build`);
    try {
      await triggerBuild(job.name);
      toast(`Build of ${job.name} scheduled`);
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  static override styles = [
    sharedStyles,
    statusStyles,
    css`
      /*
       * Rows are a grid with ARIA table roles rather than a <table>: each row is laid out on its own,
       * and rows out of view are skipped (content-visibility), so 1,000 jobs cost what a screenful does.
       */
      .table { border-radius: inherit; }
      .row { display: grid; grid-template-columns: 2.2rem 2.2rem minmax(0, 1fr) 11rem 11rem 8rem 3rem; align-items: center; border-bottom: 1px solid var(--jk-border); }
      .body .row { content-visibility: auto; contain-intrinsic-size: auto 44px; }
      .body .row:last-child { border-bottom: none; }
      .row > * { padding: 7px 10px; min-width: 0; }
      .head { font-size: var(--jk-text-sm); color: var(--jk-muted); font-weight: 600; background: var(--jk-surface-2); }
      .icon { text-align: center; padding-left: 4px; padding-right: 4px; }
      .name a { font-weight: 600; overflow-wrap: anywhere; }
      .row.disabled .name a { color: var(--jk-muted); }
      @media (max-width: 700px) {
        .row { grid-template-columns: 2.2rem 2.2rem minmax(0, 1fr) 3rem; }
        .wide { display: none; }
      }
    `,
  ];

  override render() {
    return html`<div class="table" role="table" aria-label="Jobs">
      <div role="rowgroup"><div class="row head" role="row"><span class="icon" role="columnheader" title="Status">S</span><span class="icon" role="columnheader" title="Weather">W</span>
        <span role="columnheader">Name</span><span class="wide" role="columnheader">Last Success</span><span class="wide" role="columnheader">Last Failure</span>
        <span class="wide" role="columnheader">Last Duration</span><span class="icon" role="columnheader"><span class="visually-hidden">Build</span></span></div></div>
      <div class="body" role="rowgroup">${repeat(this.jobs, (j) => j.name, (j) => html`
        <div class="row ${j.disabled ? 'disabled' : ''}" role="row">
          <span class="icon" role="cell">${statusBall(j.status, { building: j.building, disabled: j.disabled, queued: j.inQueue })}</span>
          <span class="icon" role="cell">${weather(j.health, j.healthDescription)}</span>
          <span class="name" role="cell"><a href=${jobUrl(j.name)}>${j.name}</a></span>
          <span class="wide" role="cell">${j.lastSuccessfulBuild ? html`${ago(j.lastSuccessfulBuild.startedAt)} — <a href=${buildUrl(j.name, j.lastSuccessfulBuild.number)}>#${j.lastSuccessfulBuild.number}</a>` : 'N/A'}</span>
          <span class="wide" role="cell">${j.lastFailedBuild ? html`${ago(j.lastFailedBuild.startedAt)} — <a href=${buildUrl(j.name, j.lastFailedBuild.number)}>#${j.lastFailedBuild.number}</a>` : 'N/A'}</span>
          <span class="wide" role="cell">${duration(j.lastDurationMs)}</span>
          <span class="icon" role="cell">${j.disabled ? '' : html`<button class="icon" title=${j.parameterized ? `Build ${j.name} with parameters` : `Build ${j.name} now`}
            aria-label=${`Build ${j.name}`} @click=${() => this.#build(j)}>${icons.play}</button>`}</span>
        </div>`)}</div></div>`;
  }
}
customElements.define('jk-job-table', JkJobTable);
