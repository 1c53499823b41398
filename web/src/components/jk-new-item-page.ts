/** "New Item": a name and the kind (Freestyle project), optionally copied from an existing job; then Configure. */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { createJob, getJob } from '../api/jobs.ts';
import { jobUrl, navigate } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';

export class JkNewItemPage extends LitElement {
  static override properties = { error: { state: true }, busy: { state: true } };
  declare error: ApiError | Error | null;
  declare busy: boolean;

  constructor() {
    super();
    this.error = null;
    this.busy = false;
  }

  async #submit(e: SubmitEvent) {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const name = String(form.get('name') ?? '');
    const copyFrom = String(form.get('copyFrom') ?? '').trim();
    this.busy = true;
    try {
      const base = copyFrom ? await getJob(copyFrom) : {};
      const { upstreamProjects: _u, downstreamProjects: _d, ...config } = base as Record<string, unknown>;
      await createJob({ ...config, name } as never);
      navigate(`${jobUrl(name)}configure`);
    } catch (err) {
      this.error = err as Error;
    } finally {
      this.busy = false;
    }
  }

  static override styles = [
    sharedStyles,
    css`
      .kind { display: flex; gap: var(--jk-space-3); align-items: flex-start; border: 2px solid var(--jk-accent); border-radius: var(--jk-radius); padding: var(--jk-space-3); max-width: 40rem; margin-bottom: var(--jk-space-4); background: var(--jk-accent-soft); }
      .kind label { margin: 0; font-size: 1rem; }
      .kind p { margin: 2px 0 0; color: var(--jk-muted); font-size: var(--jk-text-sm); }
    `,
  ];

  override render() {
    const nameError = this.error instanceof ApiError ? (this.error.fieldMessage('name') ?? (this.error.status === 409 ? this.error.message : undefined)) : undefined;
    return html`<form class="panel" @submit=${this.#submit}>
      <h1>New Item</h1>
      ${this.error && !nameError ? html`<p class="banner error" role="alert">${this.error.message}</p>` : nothing}
      <div class="field"><label for="name">Enter an item name</label>
        <input id="name" name="name" required maxlength="128" autofocus aria-invalid=${nameError ? 'true' : 'false'} aria-describedby="name-error">
        ${nameError ? html`<div class="field-error" id="name-error" role="alert">${nameError}</div>` : html`<div class="hint">Letters, digits, spaces, “_”, “-” and “.”.</div>`}
      </div>
      <div class="kind"><input type="radio" id="freestyle" name="kind" value="freestyle" checked>
        <div><label for="freestyle">Freestyle project</label><p>Runs shell steps on an agent, with parameters, triggers and post-build actions.</p></div></div>
      <div class="field"><label for="copyFrom">Copy from (optional)</label><input id="copyFrom" name="copyFrom" placeholder="an existing job's name"></div>
      <button class="primary" type="submit" ?disabled=${this.busy}>OK</button>
    </form>`;
  }
}
customElements.define('jk-new-item-page', JkNewItemPage);
