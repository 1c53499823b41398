/**
 * Manage → Credentials: the list (id, kind, description, user or file name, jobs), add, edit,
 * delete. Secret fields are write-only: the page never receives a secret, and an edit that leaves
 * them empty keeps the stored ones (the API's PUT leaves out what it is not sent).
 */
import { LitElement, css, html, nothing } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { createCredential, deleteCredential, listCredentials, saveCredential, type CredentialMetadata } from '../api/credentials.ts';
import { ApiError } from '../api/http.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

type Kind = CredentialMetadata['kind'];
/** Jenkins' names for the kinds. */
export const KIND_NAMES: Record<Kind, string> = {
  secretText: 'Secret text',
  usernamePassword: 'Username with password',
  sshPrivateKey: 'SSH Username with private key',
  secretFile: 'Secret file',
};

/** The form being edited: a new credential (`editing` null) or an existing one. */
interface Draft {
  editing: CredentialMetadata | null;
  kind: Kind;
}

export class JkCredentialsAdmin extends LitElement {
  static override properties = { credentials: { state: true }, draft: { state: true }, error: { state: true }, busy: { state: true } };
  declare credentials: CredentialMetadata[] | null;
  declare draft: Draft | null;
  declare error: ApiError | Error | null;
  declare busy: boolean;

  constructor() {
    super();
    this.credentials = null;
    this.draft = null;
    this.error = null;
    this.busy = false;
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#load();
  }

  async #load() {
    try {
      this.credentials = await listCredentials();
    } catch (err) {
      this.error = err as Error;
      this.credentials = [];
    }
  }

  #open(editing: CredentialMetadata | null) {
    this.error = null;
    this.draft = { editing, kind: editing?.kind ?? 'secretText' };
  }

  async #submit(e: SubmitEvent) {
    e.preventDefault();
    const draft = this.draft!;
    const form = new FormData(e.target as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? '');
    // On an edit of the same kind, empty secret fields are left out: the stored values stay.
    const keeping = draft.editing?.kind === draft.kind;
    const secret = (name: string) => (keeping && text(name) === '' ? {} : { [name]: text(name) });
    const fields: Record<string, unknown> = { kind: draft.kind };
    if (draft.kind === 'secretText') Object.assign(fields, secret('secret'));
    if (draft.kind === 'usernamePassword') Object.assign(fields, { username: text('username') }, secret('password'));
    if (draft.kind === 'sshPrivateKey') Object.assign(fields, { username: text('username') }, secret('privateKey'), secret('passphrase'));
    if (draft.kind === 'secretFile') {
      const file = form.get('file');
      if (file instanceof File && file.name) Object.assign(fields, { fileName: file.name, content: await base64Of(file) });
      else if (draft.editing?.fileName) fields.fileName = draft.editing.fileName;
    }
    const jobs = text('jobs').split(/[\n,]+/).map((j) => j.trim()).filter(Boolean);
    const body = { id: draft.editing?.id ?? text('id'), description: text('description'), ...(jobs.length ? { jobs } : {}), ...fields };
    this.busy = true;
    try {
      if (draft.editing) await saveCredential(draft.editing.id, body as never);
      else await createCredential(body as never);
      toast(draft.editing ? `Saved ${body.id}` : `Added ${body.id}`);
      this.draft = null;
      this.error = null;
      await this.#load();
    } catch (err) {
      this.error = err as Error;
    } finally {
      this.busy = false;
    }
  }

  async #delete(c: CredentialMetadata) {
    try {
      await deleteCredential(c.id);
      toast(`Deleted ${c.id}`);
      if (this.draft?.editing?.id === c.id) this.draft = null;
      await this.#load();
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  static override styles = [
    sharedStyles,
    css`
      .wrap { overflow-x: auto; }
      .jobs span { display: inline-block; background: var(--jk-surface-2); border-radius: 9px; padding: 0 8px; margin: 1px 2px; font-size: var(--jk-text-sm); }
      textarea.key { font-family: var(--jk-font-mono, monospace); }
    `,
  ];

  override render() {
    return html`<section class="panel"><div class="row"><h1>Credentials</h1><span class="spacer"></span>
        <button class="primary" @click=${() => this.#open(null)}>Add Credentials</button></div>
      ${this.draft ? keyed(this.draft.editing?.id ?? '', this.#form(this.draft)) : nothing}
      ${this.error && !this.draft ? html`<p class="banner error" role="alert">${this.error.message}</p>` : nothing}
      ${this.credentials === null ? html`<p class="muted">Loading…</p>`
        : this.credentials.length === 0 ? html`<p class="empty">No credentials yet — add one with Add Credentials.</p>`
        : html`<div class="wrap"><table>
          <thead><tr><th>ID</th><th>Kind</th><th>Description</th><th>User / file</th><th>Jobs</th><th></th></tr></thead>
          <tbody>${this.credentials.map((c) => html`<tr data-credential=${c.id}>
            <td><strong>${c.id}</strong></td><td>${KIND_NAMES[c.kind]}</td><td>${c.description}</td>
            <td>${c.username ?? c.fileName ?? ''}</td>
            <td class="jobs">${c.jobs ? c.jobs.map((j) => html`<span>${j}</span>`) : html`<span class="muted">all jobs</span>`}</td>
            <td class="row"><button @click=${() => this.#open(c)} aria-label=${`Edit ${c.id}`}>Edit</button>
              <button class="danger" @click=${() => this.#delete(c)} aria-label=${`Delete ${c.id}`}>Delete</button></td></tr>`)}</tbody></table></div>`}
    </section>`;
  }

  #form(draft: Draft) {
    const editing = draft.editing;
    const err = (f: string) => (this.error instanceof ApiError ? this.error.fieldMessage(f) : undefined);
    const fieldError = (f: string) => (err(f) ? html`<div class="field-error">${err(f)}</div>` : nothing);
    // A secret is never shown: on an edit, empty means "keep the stored one".
    const keep = editing?.kind === draft.kind ? 'Stored: leave empty to keep it' : '';
    return html`<form class="panel" @submit=${this.#submit} aria-label=${editing ? `Edit ${editing.id}` : 'New credentials'}>
      <h2>${editing ? html`Edit ‘${editing.id}’` : 'New credentials'}</h2>
      ${this.error && !(this.error instanceof ApiError && this.error.details.length) ? html`<p class="banner error" role="alert">${this.error.message}</p>` : nothing}
      <div class="field"><label for="c-kind">Kind</label>
        <select id="c-kind" @change=${(e: Event) => (this.draft = { ...draft, kind: (e.target as HTMLSelectElement).value as Kind })}>
          ${Object.entries(KIND_NAMES).map(([k, name]) => html`<option .value=${k} ?selected=${k === draft.kind}>${name}</option>`)}</select></div>
      ${editing ? nothing : html`<div class="field"><label for="c-id">ID</label><input id="c-id" name="id" required placeholder="github-token">
        <div class="hint">Jobs name it as their credentialsId; it cannot change later.</div>${fieldError('id')}</div>`}
      ${draft.kind === 'usernamePassword' || draft.kind === 'sshPrivateKey'
        ? html`<div class="field"><label for="c-username">Username</label><input id="c-username" name="username" required .value=${editing?.username ?? ''}>${fieldError('username')}</div>` : nothing}
      ${draft.kind === 'secretText' ? html`<div class="field"><label for="c-secret">Secret</label>
        <input id="c-secret" name="secret" type="password" autocomplete="new-password" ?required=${!keep} placeholder=${keep}>${fieldError('secret')}</div>` : nothing}
      ${draft.kind === 'usernamePassword' ? html`<div class="field"><label for="c-password">Password</label>
        <input id="c-password" name="password" type="password" autocomplete="new-password" placeholder=${keep}>${fieldError('password')}</div>` : nothing}
      ${draft.kind === 'sshPrivateKey' ? html`<div class="field"><label for="c-key">Private Key</label>
          <textarea id="c-key" class="key" name="privateKey" rows="6" spellcheck="false" autocomplete="off" ?required=${!keep} placeholder=${keep || '-----BEGIN OPENSSH PRIVATE KEY-----'}></textarea>${fieldError('privateKey')}</div>
        <div class="field"><label for="c-passphrase">Passphrase</label>
          <input id="c-passphrase" name="passphrase" type="password" autocomplete="new-password" placeholder=${keep ? 'Stored, if any: leave empty to keep it' : 'none'}>${fieldError('passphrase')}</div>` : nothing}
      ${draft.kind === 'secretFile' ? html`<div class="field"><label for="c-file">File</label>
        <input id="c-file" name="file" type="file" ?required=${!keep}>
        <div class="hint">${keep && editing?.fileName ? html`Stored: ${editing.fileName}. Choose a file to replace it.` : 'Written to a 0600 file under WORKSPACE_TMP for the builds that bind it.'}</div>${fieldError('content')}${fieldError('fileName')}</div>` : nothing}
      <div class="field"><label for="c-description">Description</label><input id="c-description" name="description" .value=${editing?.description ?? ''}>${fieldError('description')}</div>
      <div class="field"><label for="c-jobs">Jobs that may use it</label><textarea id="c-jobs" name="jobs" rows="2" .value=${editing?.jobs?.join('\n') ?? ''} placeholder="all jobs"></textarea>
        <div class="hint">Job names or globs (* and ?), one per line or comma-separated; empty = every job.</div>${fieldError('jobs')}${fieldError('jobs.0')}</div>
      <div class="row"><button class="primary" type="submit" ?disabled=${this.busy}>${editing ? 'Save' : 'Create'}</button>
        <button type="button" @click=${() => ((this.draft = null), (this.error = null))}>Cancel</button></div>
    </form>`;
  }
}

/** A file's bytes as base64 (what a secretFile credential's content is). */
async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

customElements.define('jk-credentials-admin', JkCredentialsAdmin);
