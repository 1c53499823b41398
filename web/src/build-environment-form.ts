/**
 * The configure page's "Build Environment" section (Jenkins' credentials-binding "Use secret
 * text(s) or file(s)" and the ssh-agent plugin's "SSH Agent"): each binding picks a credential from
 * the drop-down of those the job may use, of the kind the binding takes, and names its variables.
 */
import { html, nothing } from 'lit';
import type { CredentialChoice } from './api/credentials.ts';
import type { DraftForm, Path } from './config-form.ts';

type Kind = CredentialChoice['kind'];

/** Binding types: Jenkins' names, the credential kind each takes, a new binding. */
export const BINDING_KINDS: Record<string, [string, Kind, () => object]> = {
  secretText: ['Secret text', 'secretText', () => ({ type: 'secretText', credentialsId: '', variable: '' })],
  usernamePassword: ['Username and password (separated)', 'usernamePassword', () => ({ type: 'usernamePassword', credentialsId: '', usernameVariable: '', passwordVariable: '' })],
  sshKey: ['SSH User Private Key', 'sshPrivateKey', () => ({ type: 'sshKey', credentialsId: '', keyFileVariable: '' })],
  file: ['Secret file', 'secretFile', () => ({ type: 'file', credentialsId: '', variable: '' })],
};

export interface SectionParts {
  /** The page's reorderable list of items (title bar with up, down, remove). */
  list(path: Path, body: (i: number) => unknown, title: (i: number) => string): unknown;
  /** The page's "pick a kind, add one" control. */
  adder(id: string, kinds: Record<string, [string, () => object]>, path: Path, label: string): unknown;
}

/** A credential drop-down: the choices of `kind`, and the current id even when it is not one of them. */
export function credentialSelect(f: DraftForm, path: Path, choices: readonly CredentialChoice[], kind: Kind, label: string) {
  const id = `f-${path.join('-')}`;
  const value = String(f.get(path) ?? '');
  const offered = choices.filter((c) => c.kind === kind);
  const unknown = value !== '' && !offered.some((c) => c.id === value);
  return html`<div class="field"><label for=${id}>${label}</label>
    <select id=${id} @change=${(e: Event) => f.set(path, (e.target as HTMLSelectElement).value)}>
      <option value="" ?selected=${value === ''}>— choose a credential —</option>
      ${offered.map((c) => html`<option .value=${c.id} ?selected=${c.id === value}>${c.id}${c.description ? ` (${c.description})` : ''}</option>`)}
      ${unknown ? html`<option .value=${value} selected>${value} (not available to this job)</option>` : nothing}
    </select>
    ${offered.length === 0 ? html`<div class="hint">No credential of this kind is available to this job: an admin adds them in Manage Jonkkins → Credentials.</div>` : nothing}
    ${f.errorAt(path)}</div>`;
}

/** The section's contents. */
export function buildEnvironmentSection(f: DraftForm, choices: readonly CredentialChoice[], parts: SectionParts) {
  const binding = (i: number) => {
    const p = ['credentialBindings', i];
    const type = String(f.get([...p, 'type']));
    const kind = BINDING_KINDS[type]?.[1];
    if (!kind) return html`<p class="muted">This binding is kept as it is.</p>`;
    const vars = {
      secretText: [['variable', 'Variable']],
      usernamePassword: [['usernameVariable', 'Username Variable'], ['passwordVariable', 'Password Variable']],
      sshKey: [['keyFileVariable', 'Key File Variable'], ['usernameVariable', 'Username Variable (optional)']],
      file: [['variable', 'Variable']],
    }[type]!;
    return html`<div class="inline">${credentialSelect(f, [...p, 'credentialsId'], choices, kind, 'Credentials')}
      ${vars.map(([field, label]) => f.text([...p, field!], label!, { emptyAsUndefined: field === 'usernameVariable' && type === 'sshKey' }))}</div>`;
  };
  const adders = Object.fromEntries(Object.entries(BINDING_KINDS).map(([k, [text, , make]]) => [k, [text, make] as [string, () => object]]));
  return html`<h3>Use secret text(s) or file(s)</h3>
    <p class="hint">Bound for every build step and masked as **** in the console; files go under WORKSPACE_TMP and are removed when the build ends.</p>
    ${parts.list(['credentialBindings'], binding, (i) => BINDING_KINDS[String(f.get(['credentialBindings', i, 'type']))]?.[0] ?? 'Binding')}
    ${parts.adder('add-binding', adders, ['credentialBindings'], 'Add binding')}
    <h3>SSH Agent</h3>
    <p class="hint">An ssh-agent holding these keys runs for the build steps (SSH_AUTH_SOCK).</p>
    ${parts.list(['sshAgent'], (i) => credentialSelect(f, ['sshAgent', i], choices, 'sshPrivateKey', 'Credentials'), () => 'SSH key')}
    <button type="button" @click=${() => f.add(['sshAgent'], '')}>Add SSH key</button>`;
}
