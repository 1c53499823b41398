/** Manage → Nodes: agents with status, labels and executors; "New Node" shows the secret once and the exact command. */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { createAgent, deleteAgent, regenerateAgentSecret, type NewAgent } from '../api/people.ts';
import { listAgents } from '../api/queue.ts';
import type { AgentWithExecutors } from '../api/types.ts';
import { coalesce, LiveEventsController } from '../controllers/live-events.ts';
import { ago } from '../format.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

export class JkNodesAdmin extends LitElement {
  static override properties = { agents: { state: true }, created: { state: true }, error: { state: true }, adding: { state: true } };
  declare agents: AgentWithExecutors[] | null;
  declare created: NewAgent | null;
  declare error: ApiError | Error | null;
  declare adding: boolean;
  readonly #reload = coalesce(() => void listAgents().then((a) => (this.agents = a)));

  constructor() {
    super();
    this.agents = null;
    this.created = null;
    this.error = null;
    this.adding = false;
    new LiveEventsController(this, (e) => {
      if (!e || e.type.startsWith('agent.') || e.type === 'build.started' || e.type === 'build.finished') this.#reload();
    }, { loadNow: true });
  }

  async #create(e: SubmitEvent) {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    try {
      this.created = await createAgent({
        name: String(form.get('name')),
        executors: Number(form.get('executors')),
        labels: String(form.get('labels') ?? '').split(/[\s,]+/).filter(Boolean),
        description: String(form.get('description') ?? ''),
      });
      this.error = null;
      this.adding = false;
      this.#reload();
    } catch (err) {
      this.error = err as Error;
    }
  }

  async #regenerate(name: string) {
    try {
      this.created = await regenerateAgentSecret(name);
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  async #delete(name: string) {
    try {
      await deleteAgent(name);
      toast(`Removed ${name}`);
      this.#reload();
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  async #copy(text: string) {
    await navigator.clipboard?.writeText(text).then(() => toast('Copied'), () => toast('Select the text and copy it', 'error'));
  }

  static override styles = [
    sharedStyles,
    css`
      .secret { border: 2px solid var(--jk-unstable); }
      pre.command { background: var(--jk-console-bg); color: var(--jk-console-text); padding: var(--jk-space-3); border-radius: var(--jk-radius-sm); white-space: pre-wrap; overflow-wrap: anywhere; }
      .labels span { display: inline-block; background: var(--jk-surface-2); border-radius: 9px; padding: 0 8px; margin: 1px 2px; font-size: var(--jk-text-sm); }
      .labels span.probed { background: transparent; border: 1px dashed var(--jk-border); }
      .online { color: var(--jk-success); font-weight: 600; } .offline { color: var(--jk-muted); }
      .wrap { overflow-x: auto; }
    `,
  ];

  override render() {
    const err = (f: string) => (this.error instanceof ApiError ? this.error.fieldMessage(f) : undefined);
    return html`
      ${this.created ? html`<section class="panel secret" aria-live="polite"><h2>Agent ‘${this.created.name}’ is ready</h2>
        <p>Its secret is shown <strong>only now</strong>. Start the agent on its machine with:</p>
        <pre class="command" data-testid="agent-command">${this.created.command}</pre>
        <div class="row"><button @click=${() => this.#copy(this.created!.command)}>Copy command</button><button @click=${() => (this.created = null)}>Done</button></div></section>` : nothing}
      <section class="panel"><div class="row"><h1>Nodes</h1><span class="spacer"></span><button class="primary" @click=${() => (this.adding = !this.adding)}>New Node</button></div>
        ${this.adding ? html`<form class="panel" @submit=${this.#create}><h2>New Node</h2>
          ${this.error && !(this.error instanceof ApiError && this.error.details.length) ? html`<p class="banner error" role="alert">${this.error.message}</p>` : nothing}
          <div class="field"><label for="node-name">Name</label><input id="node-name" name="name" required>${err('name') ? html`<div class="field-error">${err('name')}</div>` : nothing}</div>
          <div class="field"><label for="node-executors">Number of executors</label><input id="node-executors" name="executors" type="number" min="1" max="64" value="2" required>${err('executors') ? html`<div class="field-error">${err('executors')}</div>` : nothing}</div>
          <div class="field"><label for="node-labels">Labels</label><input id="node-labels" name="labels" placeholder="linux docker"><div class="hint">Space-separated</div>${err('labels') ? html`<div class="field-error">${err('labels')}</div>` : nothing}</div>
          <div class="field"><label for="node-description">Description</label><input id="node-description" name="description"></div>
          <button class="primary" type="submit">Create</button></form>` : nothing}
        ${this.agents === null ? html`<p class="muted">Loading…</p>` : this.agents.length === 0 ? html`<p class="empty">No agents yet — add one with New Node.</p>` : html`<div class="wrap"><table>
          <thead><tr><th>Name</th><th>Status</th><th>Labels</th><th class="num">Executors</th><th>Version</th><th>Last seen</th><th></th></tr></thead>
          <tbody>${this.agents.map((a) => html`<tr data-agent=${a.name}><td><strong>${a.name}</strong><div class="muted">${a.description}</div></td>
            <td class=${a.online ? 'online' : 'offline'}>${a.online ? 'online' : 'offline'}</td>
            <td class="labels">${a.labels.map((l) => html`<span>${l}</span>`)}${(a.probedLabels ?? []).filter((l) => !a.labels.includes(l)).map((l) => html`<span class="probed" title="The agent found this itself at start-up">${l}</span>`)}</td>
            <td class="num">${a.executorStatus.filter((x) => !x.idle).length} / ${a.executors} busy</td>
            <td data-testid="agent-version">${versionOf(a)}</td>
            <td>${a.lastSeenAt ? ago(a.lastSeenAt) : 'never'}</td>
            <td class="row"><button @click=${() => this.#regenerate(a.name)}>New secret</button><button class="danger" @click=${() => this.#delete(a.name)}>Delete</button></td></tr>`)}</tbody></table></div>`}
      </section>`;
  }
}
/** "0.1.0 (protocol 4)" as the agent stated at its last login; "—" before its first. */
function versionOf(a: AgentWithExecutors): string {
  if (a.protocolVersion === null) return '—';
  return `${a.agentVersion ?? 'unknown'} (protocol ${a.protocolVersion})`;
}

customElements.define('jk-nodes-admin', JkNodesAdmin);
