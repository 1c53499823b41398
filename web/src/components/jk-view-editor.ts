/** New View / Edit View: a list view's name, description, jobs by checkbox and/or a regular expression; delete. */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { listJobs } from '../api/jobs.ts';
import { createView, deleteView, getView, saveView } from '../api/people.ts';
import type { JobSummary, View } from '../api/types.ts';
import { navigate, viewUrl } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

export class JkViewEditor extends LitElement {
  static override properties = { viewName: {}, view: { state: true }, jobs: { state: true }, matched: { state: true }, error: { state: true } };
  declare viewName: string | null;
  declare view: View | null;
  declare jobs: JobSummary[];
  /** The jobs the includeRegex being edited adds, as the master matches it. */
  declare matched: Set<string>;
  #previewOf: string | null = null;
  declare error: ApiError | Error | null;

  constructor() {
    super();
    this.viewName = null;
    this.view = null;
    this.jobs = [];
    this.matched = new Set();
    this.error = null;
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (!changed.has('viewName')) return;
    void listJobs().then((j) => (this.jobs = j));
    if (this.viewName) getView(this.viewName).then((v) => this.#set(v), (err: Error) => (this.error = err));
    else this.#set({ name: '', description: '', jobs: [], includeRegex: null });
  }

  #set(patch: Partial<View>) {
    this.view = { ...this.view!, ...patch };
    if (this.view.includeRegex !== this.#previewOf) void this.#preview(this.view.includeRegex);
  }

  /** Asks the master which jobs the expression adds; an invalid one adds none (saving says why). */
  async #preview(includeRegex: string | null) {
    this.#previewOf = includeRegex;
    const jobs = includeRegex === null ? [] : await listJobs({ includeRegex }).catch(() => []);
    if (this.#previewOf === includeRegex) this.matched = new Set(jobs.map((j) => j.name));
  }

  async #submit(e: SubmitEvent) {
    e.preventDefault();
    try {
      const saved = this.viewName ? await saveView(this.viewName, this.view!) : await createView(this.view!);
      navigate(viewUrl(saved.name));
    } catch (err) {
      this.error = err as Error;
    }
  }

  async #delete() {
    try {
      await deleteView(this.viewName!);
      toast(`Deleted view ${this.viewName}`);
      navigate('/');
    } catch (err) {
      this.error = err as Error;
    }
  }

  static override styles = [sharedStyles, css`.jobs { columns: 16rem; margin-bottom: var(--jk-space-4); } .jobs label { font-weight: 400; overflow-wrap: anywhere; }`];

  override render() {
    const v = this.view;
    if (!v) return this.error ? html`<p class="banner error" role="alert">${this.error.message}</p>` : html`<p class="muted">Loading…</p>`;
    const err = (field: string) => (this.error instanceof ApiError ? this.error.fieldMessage(field) : undefined);
    const matched = this.matched;
    const fieldError = (field: string) => (err(field) ? html`<div class="field-error" role="alert">${err(field)}</div>` : nothing);
    return html`<form class="panel" @submit=${this.#submit}>
      <h1>${this.viewName ? `Edit View ${this.viewName}` : 'New View'}</h1>
      ${this.error && !(this.error instanceof ApiError && (this.error.details.length > 0 || this.error.status === 409))
        ? html`<p class="banner error" role="alert">${this.error.message}</p>` : nothing}
      <div class="field"><label for="view-name">Name</label><input id="view-name" required .value=${v.name} @input=${(e: InputEvent) => this.#set({ name: (e.target as HTMLInputElement).value })}>${fieldError('name')}
        ${this.error instanceof ApiError && this.error.status === 409 ? html`<div class="field-error" role="alert">${this.error.message}</div>` : nothing}</div>
      <div class="field"><label for="view-description">Description</label><textarea id="view-description" .value=${v.description} @input=${(e: InputEvent) => this.#set({ description: (e.target as HTMLTextAreaElement).value })}></textarea></div>
      <h3>Jobs</h3>
      ${this.jobs.length === 0 ? html`<p class="muted">No jobs yet.</p>` : html`<div class="jobs">${this.jobs.map((j) => html`<label class="check">
        <input type="checkbox" .checked=${v.jobs.includes(j.name) || matched.has(j.name)} ?disabled=${matched.has(j.name) && !v.jobs.includes(j.name)}
          @change=${(e: Event) => this.#set({ jobs: (e.target as HTMLInputElement).checked ? [...v.jobs, j.name] : v.jobs.filter((n) => n !== j.name) })}> ${j.name}</label>`)}</div>`}
      <div class="field"><label for="view-regex">Use a regular expression to include jobs</label>
        <input id="view-regex" class="mono" .value=${v.includeRegex ?? ''} placeholder="e.g. deploy-.*" @input=${(e: InputEvent) => this.#set({ includeRegex: (e.target as HTMLInputElement).value || null })}>
        <div class="hint">Matches the whole job name. RE2 syntax (as Java's, without backreferences or lookarounds).</div>${fieldError('includeRegex')}</div>
      <div class="row"><button class="primary" type="submit">${this.viewName ? 'Save' : 'Create'}</button>
        ${this.viewName ? html`<span class="spacer"></span><button type="button" class="danger" @click=${this.#delete}>Delete View</button>` : nothing}</div>
    </form>`;
  }
}
customElements.define('jk-view-editor', JkViewEditor);
