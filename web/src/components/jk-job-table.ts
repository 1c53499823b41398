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
      .wrap { overflow-x: auto; }
      td.name a { font-weight: 600; overflow-wrap: anywhere; }
      td.icon, th.icon { width: 2.2rem; text-align: center; padding-left: 6px; padding-right: 6px; }
      tr.disabled td.name a { color: var(--jk-muted); }
      @media (max-width: 700px) { .wide { display: none; } }
    `,
  ];

  override render() {
    return html`<div class="wrap"><table>
      <thead><tr><th class="icon" title="Status">S</th><th class="icon" title="Weather">W</th><th>Name</th>
        <th class="wide">Last Success</th><th class="wide">Last Failure</th><th class="wide">Last Duration</th><th class="icon"><span class="visually-hidden">Build</span></th></tr></thead>
      <tbody>${repeat(this.jobs, (j) => j.name, (j) => html`
        <tr class=${j.disabled ? 'disabled' : ''}>
          <td class="icon">${statusBall(j.status, { building: j.building, disabled: j.disabled, queued: j.inQueue })}</td>
          <td class="icon">${weather(j.health)}</td>
          <td class="name"><a href=${jobUrl(j.name)}>${j.name}</a></td>
          <td class="wide">${j.lastSuccessfulBuild ? html`${ago(j.lastSuccessfulBuild.startedAt)} — <a href=${buildUrl(j.name, j.lastSuccessfulBuild.number)}>#${j.lastSuccessfulBuild.number}</a>` : 'N/A'}</td>
          <td class="wide">${j.lastFailedBuild ? html`${ago(j.lastFailedBuild.startedAt)} — <a href=${buildUrl(j.name, j.lastFailedBuild.number)}>#${j.lastFailedBuild.number}</a>` : 'N/A'}</td>
          <td class="wide">${duration(j.lastDurationMs)}</td>
          <td class="icon">${j.disabled ? '' : html`<button class="icon" title=${j.parameterized ? `Build ${j.name} with parameters` : `Build ${j.name} now`}
            aria-label=${`Build ${j.name}`} @click=${() => this.#build(j)}>${icons.play}</button>`}</td>
        </tr>`)}</tbody></table></div>`;
  }
}
customElements.define('jk-job-table', JkJobTable);
