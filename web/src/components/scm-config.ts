/**
 * The configure page's "Source Code Management" section (the git plugin's form): None or Git;
 * the repository URL, its credential (a drop-down of those this job may use: user/password and
 * SSH keys), the branches to build, and the plugin's advanced settings.
 */
import { html, nothing } from 'lit';
import type { CredentialChoice } from '../api/credentials.ts';
import type { DraftForm } from '../config-form.ts';

const S = ['scm'];

/** `credentials`: the credentials this job may use (the page reads them once). */
export function scmSection(f: DraftForm, credentials: readonly CredentialChoice[]) {
  const scm = f.get(S) as Record<string, unknown> | null | undefined;
  const choose = (git: boolean) => f.set(S, git ? (scm ?? { type: 'git', url: '', branches: ['*/main'] }) : null);
  return html`<fieldset class="scm-choice"><legend class="visually-hidden">Source Code Management</legend>
      <label class="check"><input type="radio" name="scm" value="none" .checked=${!scm} @change=${() => choose(false)}> None</label>
      <label class="check"><input type="radio" name="scm" value="git" .checked=${Boolean(scm)} @change=${() => choose(true)}> Git</label>
    </fieldset>
    ${scm ? git(f, credentials) : nothing}${f.errorAt(S)}`;
}

function git(f: DraftForm, credentials: readonly CredentialChoice[]) {
  const branches = (f.get([...S, 'branches']) as string[] | undefined) ?? [];
  const usable = credentials.filter((c) => c.kind === 'usernamePassword' || c.kind === 'sshPrivateKey');
  const id = f.get([...S, 'credentialsId']) as string | undefined;
  return html`<h3>Repositories</h3>
    ${f.text([...S, 'url'], 'Repository URL', { placeholder: 'https://git.example.org/team/app.git or git@host:team/app.git', hint: 'No password in the URL: choose a credential.' })}
    ${f.select([...S, 'credentialsId'], 'Credentials', [...(id && !usable.some((c) => c.id === id) ? [[id, `${id} (not usable by this job)`] as const] : []),
      ...usable.map((c) => [c.id, `${c.id}${c.description ? ` (${c.description})` : ''} — ${c.kind === 'sshPrivateKey' ? 'SSH key' : 'username and password'}`] as const)], { optional: true })}
    <h3>Branches to build</h3>
    <div class="field"><label for="scm-branches">Branch Specifier (one per line; the first that exists is built)</label>
      <textarea id="scm-branches" class="code" rows="2" spellcheck="false" .value=${branches.join('\n')}
        @input=${(e: InputEvent) => f.set([...S, 'branches'], (e.target as HTMLTextAreaElement).value.split('\n').map((b) => b.trim()).filter((b) => b !== ''))}></textarea>
      <div class="hint">*/main, origin/release-*, refs/tags/v*, a commit id, or \${PARAMETER}</div>${f.errorAt([...S, 'branches'])}</div>
    <details class="advanced"><summary>Advanced</summary>
      <div class="inline">
        ${f.text([...S, 'refspec'], 'Refspec', { emptyAsUndefined: true, placeholder: '+refs/heads/*:refs/remotes/origin/*' })}
        ${f.number([...S, 'depth'], 'Shallow clone depth', { min: 1, hint: 'Empty: the whole history' })}
        ${f.text([...S, 'localBranch'], 'Check out to specific local branch', { emptyAsUndefined: true, hint: '** = the remote branch\'s name; empty = detached HEAD' })}
      </div>
      <div class="inline">
        ${f.text([...S, 'userIdentity', 'name'], 'Custom user name', { emptyAsUndefined: true })}
        ${f.text([...S, 'userIdentity', 'email'], 'Custom e-mail address', { emptyAsUndefined: true })}
      </div>
      ${f.check([...S, 'clean'], 'Clean before checkout', 'git clean -fdx after the fetch, before the checkout.')}
      ${f.check([...S, 'submodules'], 'Recursively update submodules', 'Submodules are fetched without this credential.')}
    </details>`;
}
