/** "Build with Parameters": a field per parameter type (file upload included), then back to the job page. */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { getJob, triggerBuild } from '../api/jobs.ts';
import type { JobDetails } from '../api/types.ts';
import type { ParameterDefinition } from '../../../shared/src/job.ts';
import { jobUrl, navigate } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

export class JkBuildFormPage extends LitElement {
  static override properties = { jobName: {}, job: { state: true }, error: { state: true }, busy: { state: true } };
  declare jobName: string;
  declare job: JobDetails | null;
  declare error: ApiError | Error | null;
  declare busy: boolean;

  constructor() {
    super();
    this.jobName = '';
    this.job = null;
    this.error = null;
    this.busy = false;
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('jobName')) getJob(this.jobName).then((j) => (this.job = j), (err: Error) => (this.error = err));
  }

  async #submit(e: SubmitEvent) {
    e.preventDefault();
    const job = this.job!;
    const form = new FormData(e.target as HTMLFormElement);
    // Booleans: an unchecked box sends nothing, the server wants "false".
    for (const p of job.parameters) if (p.type === 'boolean') form.set(p.name, form.has(p.name) ? 'true' : 'false');
    const hasFile = job.parameters.some((p) => p.type === 'file' && (form.get(p.name) as File | null)?.size);
    for (const p of job.parameters) if (p.type === 'file' && !(form.get(p.name) as File | null)?.size) form.delete(p.name);
    this.busy = true;
    try {
      await triggerBuild(job.name, hasFile ? form : Object.fromEntries([...form].map(([k, v]) => [k, String(v)])));
      toast(`Build of ${job.name} scheduled`);
      navigate(jobUrl(job.name));
    } catch (err) {
      this.error = err as Error;
    } finally {
      this.busy = false;
    }
  }

  static override styles = [sharedStyles, css`.desc { font-size: var(--jk-text-sm); color: var(--jk-muted); margin-top: 2px; white-space: pre-wrap; }`];

  override render() {
    const job = this.job;
    if (!job) return this.error ? html`<p class="banner error" role="alert">${this.error.message}</p>` : html`<p class="muted">Loading…</p>`;
    const fieldError = (name: string) => (this.error instanceof ApiError ? this.error.fieldMessage(`parameters.${name}`) : undefined);
    return html`<form class="panel" @submit=${this.#submit}>
      <p><a href=${jobUrl(job.name)}>← ${job.name}</a></p>
      <h1>Build ${job.name}</h1>
      <p class="muted">This build requires parameters:</p>
      ${this.error ? html`<p class="banner error" role="alert">${this.error.message}</p>` : nothing}
      ${job.parameters.map((p) => html`<div class="field">
        ${p.type === 'boolean' ? nothing : html`<label for=${`p-${p.name}`}>${p.name}</label>`}
        ${this.#input(p, fieldError(p.name))}
        ${p.description ? html`<div class="desc">${p.description}</div>` : nothing}
        ${fieldError(p.name) ? html`<div class="field-error">${fieldError(p.name)}</div>` : nothing}
      </div>`)}
      <button class="primary" type="submit" ?disabled=${this.busy}>Build</button>
    </form>`;
  }

  #input(p: ParameterDefinition, error: string | undefined) {
    const id = `p-${p.name}`;
    const invalid = error ? 'true' : 'false';
    switch (p.type) {
      case 'string':
        return html`<input id=${id} name=${p.name} .value=${p.default ?? ''} aria-invalid=${invalid}>`;
      case 'text':
        return html`<textarea id=${id} name=${p.name} .value=${p.default ?? ''} aria-invalid=${invalid}></textarea>`;
      case 'password':
        return html`<input id=${id} name=${p.name} type="password" autocomplete="off" .value=${p.default ?? ''} aria-invalid=${invalid}>`;
      case 'boolean':
        return html`<label class="check"><input id=${id} name=${p.name} type="checkbox" .checked=${p.default ?? false}> ${p.name}</label>`;
      case 'choice':
        return html`<select id=${id} name=${p.name} aria-invalid=${invalid}>${p.choices.map((c) => html`<option .value=${c} ?selected=${c === p.default}>${c}</option>`)}</select>`;
      case 'file':
        return html`<input id=${id} name=${p.name} type="file" aria-invalid=${invalid}>`;
      case 'run':
        // Empty: the last build of the project that passes the filter.
        return html`<input id=${id} name=${p.name} placeholder=${`${p.projectName}#number (empty: the latest)`} aria-invalid=${invalid}>`;
    }
  }
}
customElements.define('jk-build-form-page', JkBuildFormPage);
