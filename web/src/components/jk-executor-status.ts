/** "Build Executor Status": every agent, online or not, and each executor idle or running a build with its progress. */
import { LitElement, css, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { listAgents } from '../api/queue.ts';
import type { AgentWithExecutors } from '../api/types.ts';
import { coalesce, LiveEventsController } from '../controllers/live-events.ts';
import { buildUrl, jobUrl } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import './jk-progress.ts';

export class JkExecutorStatus extends LitElement {
  static override properties = { agents: { state: true } };
  declare agents: AgentWithExecutors[] | null;
  readonly #reload = coalesce(() => void this.#load());

  constructor() {
    super();
    this.agents = null;
    new LiveEventsController(this, (e) => {
      if (!e || e.type === 'build.started' || e.type === 'build.finished' || e.type.startsWith('agent.')) this.#reload();
    }, { loadNow: true });
  }

  async #load() {
    try {
      this.agents = await listAgents();
    } catch {
      /* the next event retries */
    }
  }

  static override styles = [
    sharedStyles,
    css`
      .agent { border-top: 1px solid var(--jk-border); padding: 6px 0; font-size: var(--jk-text-sm); }
      .agent:first-of-type { border-top: none; }
      .agent-name { font-weight: 600; display: flex; gap: 6px; align-items: center; }
      .offline .agent-name { color: var(--jk-muted); }
      .badge { font-size: 0.7rem; font-weight: 600; border-radius: 9px; padding: 0 7px; background: var(--jk-surface-2); color: var(--jk-muted); }
      ol { margin: 4px 0 0; padding: 0; list-style: none; }
      li { display: grid; grid-template-columns: 1.4rem 1fr; gap: 2px 6px; padding: 2px 0; }
      .n { color: var(--jk-muted); text-align: right; font-variant-numeric: tabular-nums; }
      .busy a { overflow-wrap: anywhere; }
      jk-progress { grid-column: 2; margin-top: 2px; }
    `,
  ];

  override render() {
    const agents = this.agents;
    return html`<h3>Build Executor Status</h3>
      ${agents === null ? html`<p class="muted">Loading…</p>` : agents.length === 0 ? html`<p class="muted">No agents yet. <a href="/manage/nodes">Add one</a>.</p>`
        : repeat(agents, (a) => a.name, (a) => html`<div class="agent ${a.online ? '' : 'offline'}" data-agent=${a.name}>
          <div class="agent-name">${a.name} ${a.online ? '' : html`<span class="badge">offline</span>`}</div>
          <ol>${a.executorStatus.map((x) => x.idle
            ? html`<li class="idle"><span class="n">${x.number + 1}</span><span class="muted">Idle</span></li>`
            : html`<li class="busy"><span class="n">${x.number + 1}</span>
                <span><a href=${jobUrl(x.job)}>${x.job}</a> <a href=${buildUrl(x.job, x.build)}>#${x.build}</a></span>
                <jk-progress .startedAt=${x.startedAt} .estimatedMs=${x.estimatedDurationMs} label=${`${x.job} #${x.build}`}></jk-progress></li>`)}</ol>
        </div>`)}`;
  }
}
customElements.define('jk-executor-status', JkExecutorStatus);
