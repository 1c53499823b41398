/**
 * Configure a freestyle job, grouped as in Jenkins: General, Triggers, Environment, Build
 * Environment (credentials, build-environment-form.ts), Build Steps, Post-build Actions. Steps, actions and parameters can be added, removed and reordered; the
 * server's validation messages appear next to their fields; cron specs are previewed as you type.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { credentialChoices, type CredentialChoice } from '../api/credentials.ts';
import { getJob, previewCron, saveJob } from '../api/jobs.ts';
import { buildEnvironmentSection, credentialSelect } from '../build-environment-form.ts';
import type { JobInput } from '../../../shared/src/job.ts';
import { DraftForm, type Path } from '../config-form.ts';
import { dateTime } from '../format.ts';
import { jobUrl, navigate } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';
import { session } from '../api/session.ts';
import { scmSection } from './scm-config.ts';

/** Jenkins' names for what people pick; the values are the job document's. */
const PARAMETER_TYPES: Record<string, string> = {
  string: 'String Parameter', text: 'Multi-line String Parameter', boolean: 'Boolean Parameter', choice: 'Choice Parameter', password: 'Password Parameter', file: 'File Parameter', run: 'Run Parameter',
};
/** Jenkins' RunParameterDefinition filters. */
const RUN_FILTERS = [['ALL', 'All Builds'], ['COMPLETED', 'Completed Builds Only'], ['SUCCESSFUL', 'Successful Builds Only'], ['STABLE', 'Stable Builds Only']] as const;
/** The parameterized-trigger plugin's ResultCondition display names. */
const CONDITIONS = [
  ['SUCCESS', 'Stable'], ['UNSTABLE', 'Unstable'], ['UNSTABLE_OR_BETTER', 'Stable or unstable but not failed'], ['UNSTABLE_OR_WORSE', 'Unstable or Failed but not stable'],
  ['FAILED', 'Failed'], ['FAILED_OR_BETTER', 'Stable, unstable or failed, but not aborted'], ['ALWAYS', 'Complete (always trigger)'],
] as const;
/** Jenkins core's "Build other projects" / "Build after other projects are built" choices. */
const THRESHOLDS = [['SUCCESS', 'Trigger only if build is stable'], ['UNSTABLE', 'Trigger even if the build is unstable'], ['FAILURE', 'Trigger even if the build fails']] as const;
/** A blocking step's thresholds: "this result or worse"; never = off. */
const BLOCK_THRESHOLDS = ['never', 'SUCCESS', 'UNSTABLE', 'FAILURE'];
const STEP_KINDS: Record<string, [string, () => object]> = {
  shell: ['Execute shell', () => ({ type: 'shell', script: '' })],
  copyArtifacts: ['Copy artifacts from another project', () => ({ type: 'copyArtifacts', project: '', selector: 'lastSuccessful' })],
  triggerBuilds: ['Trigger/call builds on other projects', () => ({ type: 'triggerBuilds', projects: '', condition: 'ALWAYS', currentParameters: false, predefinedParameters: '' })],
  dockerBuild: ['Docker build and publish', () => ({ type: 'dockerBuild', context: '.', repository: '', tags: ['$BUILD_NUMBER', 'latest'], noCache: false, pull: false, push: true, registry: {} })],
};
const PUBLISHER_KINDS: Record<string, [string, () => object]> = {
  archiveArtifacts: ['Archive the artifacts', () => ({ type: 'archiveArtifacts', artifacts: '' })],
  buildOtherProjects: ['Build other projects', () => ({ type: 'buildOtherProjects', projects: '', threshold: 'SUCCESS' })],
  triggerBuilds: ['Trigger parameterized build on other projects', () => ({ type: 'triggerBuilds', projects: '', condition: 'SUCCESS', currentParameters: false, predefinedParameters: '' })],
  mailer: ['E-mail Notification', () => ({ type: 'mailer', recipients: '', notifyEveryUnstableBuild: true, sendToIndividuals: false })],
  slackNotifier: ['Slack Notifications', () => ({ type: 'slackNotifier', notifyFailure: true, notifyBackToNormal: true, commitInfo: 'none' })],
  commitStatus: ['Set commit status on GitHub, GitLab or Gitea', () => ({ type: 'commitStatus', forge: 'github', credentialsId: '' })],
};
/** The slack plugin's checkboxes, in its order and words. */
const SLACK_EVENTS = [
  ['notifyStart', 'Notify Build Start'], ['notifySuccess', 'Notify Success'], ['notifyAborted', 'Notify Aborted'], ['notifyNotBuilt', 'Notify Not Built'],
  ['notifyUnstable', 'Notify Unstable'], ['notifyFailure', 'Notify Failure'], ['notifyBackToNormal', 'Notify Back To Normal'], ['notifyRepeatedFailure', 'Notify Repeated Failure'],
] as const;
/** The slack plugin's CommitInfoChoice display names. */
const COMMIT_INFO = [['none', 'nothing about commits'], ['authors', 'commit list with authors only'], ['authorsAndTitles', 'commit list with authors and titles']] as const;
const FORGES = [['github', 'GitHub (or GitHub Enterprise)'], ['gitlab', 'GitLab'], ['gitea', 'Gitea']] as const;

export class JkJobConfigPage extends LitElement {
  static override properties = { jobName: {}, form: { state: true }, error: { state: true }, busy: { state: true }, cron: { state: true }, revision: { state: true }, credentials: { state: true } };
  declare jobName: string;
  declare form: DraftForm | null;
  declare error: string;
  declare busy: boolean;
  declare cron: string;
  /** Bumped on every edit so Lit re-renders (the draft is mutated in place). */
  declare revision: number;
  /** What the Build Environment's drop-downs offer: the credentials this job may use. */
  declare credentials: CredentialChoice[];
  #cronTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.jobName = '';
    this.form = null;
    this.error = '';
    this.busy = false;
    this.cron = '';
    this.revision = 0;
    this.credentials = [];
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (!changed.has('jobName')) return;
    getJob(this.jobName).then(
      (job) => {
        const { upstreamProjects: _u, downstreamProjects: _d, permalinks: _p, ...config } = job;
        this.form = new DraftForm(structuredClone(config) as Record<string, unknown>, () => this.#edited());
        this.#previewCron();
      },
      (err: Error) => (this.error = err.message),
    );
    credentialChoices(this.jobName).then(
      (choices) => (this.credentials = choices),
      (err: Error) => (this.error = err.message),
    );
  }

  #edited() {
    this.revision++;
    clearTimeout(this.#cronTimer);
    this.#cronTimer = setTimeout(() => this.#previewCron(), 300);
  }

  async #previewCron() {
    const spec = String(this.form?.get(['triggers', 'cron']) ?? '').trim();
    if (!spec) return void (this.cron = '');
    try {
      const p = await previewCron(spec, this.jobName);
      this.cron = `Would last have run at ${dateTime(p.previous)}; would next run at ${dateTime(p.next)} (${p.timeZone}).${p.warnings.length ? ` ${p.warnings.join(' ')}` : ''}`;
      this.form!.errors.delete('triggers.cron');
    } catch (err) {
      this.cron = '';
      if (err instanceof ApiError) this.form!.errors.set('triggers.cron', err.message);
    }
    this.requestUpdate();
  }

  async #save(e: SubmitEvent, thenLeave: boolean) {
    e.preventDefault();
    const form = this.form!;
    this.busy = true;
    try {
      const saved = await saveJob(this.jobName, form.draft as JobInput);
      form.errors.clear();
      this.error = '';
      toast('Saved');
      if (thenLeave || saved.name !== this.jobName) navigate(thenLeave ? jobUrl(saved.name) : `${jobUrl(saved.name)}configure`);
    } catch (err) {
      form.errors = new Map((err instanceof ApiError ? err.details : []).map((d) => [d.field, d.message]));
      this.error = (err as Error).message;
    } finally {
      this.busy = false;
    }
  }

  static override styles = [
    sharedStyles,
    css`
      .layout { display: grid; grid-template-columns: 12rem minmax(0, 1fr); gap: var(--jk-space-4); align-items: start; }
      .toc { position: sticky; top: var(--jk-space-4); display: flex; flex-direction: column; gap: 4px; }
      @media (max-width: 860px) { .layout { grid-template-columns: minmax(0, 1fr); } .toc { position: static; flex-direction: row; flex-wrap: wrap; } }
      section.panel { scroll-margin-top: var(--jk-space-4); }
      .item { border: 1px solid var(--jk-border); border-radius: var(--jk-radius-sm); padding: var(--jk-space-3); margin-bottom: var(--jk-space-3); background: #fcfdfe; }
      .item-head { display: flex; gap: var(--jk-space-2); align-items: center; margin-bottom: var(--jk-space-2); font-weight: 600; }
      .item-head .spacer { flex: 1; }
      .add { display: flex; gap: var(--jk-space-2); align-items: center; flex-wrap: wrap; }
      .add select { width: auto; max-width: 100%; min-width: 0; }
      .save { position: sticky; bottom: 0; background: var(--jk-bg); padding: var(--jk-space-3) 0; display: flex; gap: var(--jk-space-2); }
      .cron { font-size: var(--jk-text-sm); color: var(--jk-muted); margin: -8px 0 var(--jk-space-4); }
      .env-row { display: grid; grid-template-columns: 14rem 1fr auto; gap: var(--jk-space-2); margin-bottom: var(--jk-space-2); }
      @media (max-width: 560px) { .env-row { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) auto; } }
      fieldset.scm-choice { border: 0; padding: 0; margin: 0 0 var(--jk-space-3); display: flex; gap: var(--jk-space-4); }
      details.advanced { margin-top: var(--jk-space-3); } details.advanced summary { cursor: pointer; color: var(--jk-link, inherit); margin-bottom: var(--jk-space-2); }
      .inline { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: 0 var(--jk-space-3); }
    `,
  ];

  override render() {
    const f = this.form;
    if (!f) return this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : html`<p class="muted">Loading…</p>`;
    return html`<form @submit=${(e: SubmitEvent) => this.#save(e, true)}>
      <p><a href=${jobUrl(this.jobName)}>← ${this.jobName}</a></p>
      <h1>Configure ${this.jobName}</h1>
      ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing}
      <div class="layout">
        <nav class="toc" aria-label="Sections">${['General', 'Source Code Management', 'Triggers', 'Environment', 'Build Environment', 'Build Steps', 'Post-build Actions'].map((s) => html`<a href=${`#${s}`} @click=${(e: Event) => this.#jump(e, s)}>${s}</a>`)}</nav>
        <div>
          <section class="panel" id="General"><h2>General</h2>
            ${f.text(['name'], 'Name')}
            ${f.textarea(['description'], 'Description', { hint: 'Markdown: **bold**, _italic_, `code`, lists and links. No HTML.' })}
            ${f.check(['disabled'], 'Disable this project', 'No new builds start while disabled.')}
            <h3>This project is parameterized</h3>
            ${this.#list(['parameters'], (i) => this.#parameter(i), (i) => PARAMETER_TYPES[String(f.get(['parameters', i, 'type']))] ?? 'Parameter')}
            <div class="add"><label class="visually-hidden" for="add-param">Parameter type</label>
              <select id="add-param">${Object.entries(PARAMETER_TYPES).map(([t, text]) => html`<option value=${t}>${text}</option>`)}</select>
              <button type="button" @click=${() => f.add(['parameters'], { type: this.#picked('add-param'), name: '' })}>Add Parameter</button></div>
            <h3>Where and how</h3>
            <div class="inline">
              ${f.text(['label'], 'Restrict where this project can be run', { hint: 'A label expression, e.g. linux && !arm; empty = any agent', placeholder: 'any agent' })}
              ${f.number(['quietPeriod'], 'Quiet period (seconds)', { min: 0 })}
              ${f.number(['timeoutMinutes'], 'Abort after (minutes)', { min: 0.01, step: 'any', nullable: true })}
            </div>
            ${f.check(['concurrentBuild'], 'Execute concurrent builds if necessary')}
            <div class="inline">
              ${f.number(['buildDiscarder', 'numToKeep'], 'Max # of builds to keep', { min: 1 })}
              ${f.number(['buildDiscarder', 'daysToKeep'], 'Days to keep builds', { min: 1 })}
            </div>
          </section>
          <section class="panel" id="Source Code Management"><h2>Source Code Management</h2>${scmSection(f, this.credentials)}</section>
          <section class="panel" id="Triggers"><h2>Triggers</h2>
            ${f.text(['triggers', 'remoteToken'], 'Trigger builds remotely: authentication token', { emptyAsUndefined: true, hint: `POST /api/jobs/${this.jobName}/builds?token=… starts a build without a login.` })}
            ${f.textarea(['triggers', 'cron'], 'Build periodically (schedule)', { code: true, rows: 3, hint: 'Jenkins cron: MINUTE HOUR DOM MONTH DOW, H for a hash, @daily…; TZ= on the first line.' })}
            ${this.cron ? html`<p class="cron" role="status">${this.cron}</p>` : nothing}
            ${this.#scmTriggers()}
            <h3>Build after other projects are built</h3>
            <div class="inline">
              ${f.text(['triggers', 'upstream', 'projects'], 'Projects to watch', { hint: 'Comma-separated' })}
              ${f.select(['triggers', 'upstream', 'threshold'], 'When', THRESHOLDS)}
            </div>
          </section>
          <section class="panel" id="Environment"><h2>Environment</h2>${this.#env()}</section>
          <section class="panel" id="Build Environment"><h2>Build Environment</h2>
            ${buildEnvironmentSection(f, this.credentials, { list: (...a) => this.#list(...a), adder: (...a) => this.#adder(...a) })}</section>
          <section class="panel" id="Build Steps"><h2>Build Steps</h2>
            ${this.#list(['steps'], (i) => this.#step(i), (i) => STEP_KINDS[String(f.get(['steps', i, 'type']))]?.[0] ?? 'Step')}
            ${this.#adder('add-step', STEP_KINDS, ['steps'], 'Add build step')}
          </section>
          <section class="panel" id="Post-build Actions"><h2>Post-build Actions</h2>
            ${this.#list(['publishers'], (i) => this.#publisher(i), (i) => PUBLISHER_KINDS[String(f.get(['publishers', i, 'type']))]?.[0] ?? 'Action')}
            ${this.#adder('add-publisher', PUBLISHER_KINDS, ['publishers'], 'Add post-build action')}
          </section>
          <div class="save"><button class="primary" type="submit" ?disabled=${this.busy}>Save</button>
            <button type="button" ?disabled=${this.busy} @click=${(e: Event) => this.#save(e as SubmitEvent, false)}>Apply</button></div>
        </div>
      </div>
    </form>`;
  }

  #jump(e: Event, id: string) {
    e.preventDefault();
    this.renderRoot.querySelector(`[id="${id}"]`)?.scrollIntoView({ behavior: 'smooth' });
  }

  #picked(id: string): string {
    return (this.renderRoot.querySelector(`#${id}`) as HTMLSelectElement).value;
  }

  #adder(id: string, kinds: Record<string, [string, () => object]>, path: Path, label: string) {
    return html`<div class="add"><label class="visually-hidden" for=${id}>${label}</label>
      <select id=${id}>${Object.entries(kinds).map(([k, [text]]) => html`<option value=${k}>${text}</option>`)}</select>
      <button type="button" @click=${() => this.form!.add(path, kinds[this.#picked(id)]![1]())}>${label}</button></div>`;
  }

  /** A reorderable list of items, each with a title bar (up, down, remove). */
  #list(path: Path, body: (i: number) => unknown, title: (i: number) => string) {
    const f = this.form!;
    const items = f.list(path);
    return items.map((_, i) => html`<div class="item" data-item=${`${path.join('.')}.${i}`}>
      <div class="item-head"><span>${title(i)}</span><span class="spacer"></span>
        <button type="button" class="icon" aria-label="Move up" title="Move up" ?disabled=${i === 0} @click=${() => f.move(path, i, -1)}>↑</button>
        <button type="button" class="icon" aria-label="Move down" title="Move down" ?disabled=${i === items.length - 1} @click=${() => f.move(path, i, 1)}>↓</button>
        <button type="button" class="icon danger" aria-label="Remove" title="Remove" @click=${() => f.remove(path, i)}>✕</button></div>
      ${body(i)}${f.errorAt([...path, i])}</div>`);
  }

  #parameter(i: number) {
    const f = this.form!;
    const p = ['parameters', i];
    const type = f.get([...p, 'type']);
    return html`<div class="inline">${f.text([...p, 'name'], 'Name')}
      ${type === 'boolean' ? f.check([...p, 'default'], 'Default: checked')
        : type === 'choice' ? html`<div class="field"><label for=${`choices-${i}`}>Choices (one per line)</label>
            <textarea id=${`choices-${i}`} rows="3" .value=${(f.get([...p, 'choices']) as string[] | undefined ?? []).join('\n')}
              @input=${(e: InputEvent) => f.set([...p, 'choices'], (e.target as HTMLTextAreaElement).value.split('\n').filter((c) => c !== ''))}></textarea>${f.errorAt([...p, 'choices'])}</div>`
        : type === 'file' ? nothing
        : type === 'run' ? html`${f.text([...p, 'projectName'], 'Project')}${f.select([...p, 'filter'], 'Filter', RUN_FILTERS)}`
        : type === 'text' ? f.textarea([...p, 'default'], 'Default value')
        : f.text([...p, 'default'], 'Default value', { type: type === 'password' ? 'password' : 'text', emptyAsUndefined: true })}</div>
      ${f.text([...p, 'description'], 'Description', { emptyAsUndefined: true })}`;
  }

  #step(i: number) {
    const f = this.form!;
    const s = ['steps', i];
    switch (f.get([...s, 'type'])) {
      case 'shell':
        return html`${f.textarea([...s, 'script'], 'Command', { code: true, hint: 'Runs with /bin/sh -xe, or the interpreter of a #! first line.' })}
          ${f.number([...s, 'unstableReturn'], 'Exit code to set build unstable', { min: 1 })}`;
      case 'copyArtifacts':
        return html`<div class="inline">${f.text([...s, 'project'], 'Project name')}
          ${f.text([...s, 'selector'], 'Which build', { hint: 'lastSuccessful, or a build number', parse: (raw) => (/^\d+$/.test(raw) ? Number(raw) : raw) })}
          ${f.text([...s, 'filter'], 'Artifacts to copy', { emptyAsUndefined: true, hint: 'Ant patterns; empty = all' })}
          ${f.text([...s, 'target'], 'Target directory', { emptyAsUndefined: true })}</div>`;
      case 'triggerBuilds':
        return html`${this.#trigger(s)}
          <div class="field"><label class="check"><input type="checkbox" .checked=${f.get([...s, 'block']) !== undefined}
            @change=${(e: Event) => f.set([...s, 'block'], (e.target as HTMLInputElement).checked ? { buildStepFailureThreshold: 'FAILURE', unstableThreshold: 'UNSTABLE', failureThreshold: 'FAILURE' } : undefined)}>
            Block until the triggered projects finish their builds</label></div>
          ${f.get([...s, 'block']) === undefined ? nothing : html`<div class="inline">
            ${f.select([...s, 'block', 'buildStepFailureThreshold'], 'Fail this build step if the triggered build is worse or equal to', BLOCK_THRESHOLDS, { optional: true })}
            ${f.select([...s, 'block', 'failureThreshold'], 'Mark this build as failure if … worse or equal to', BLOCK_THRESHOLDS, { optional: true })}
            ${f.select([...s, 'block', 'unstableThreshold'], 'Mark this build as unstable if … worse or equal to', BLOCK_THRESHOLDS, { optional: true })}</div>`}`;
      case 'dockerBuild':
        return this.#dockerBuild(s);
      default:
        return html`<p class="muted">This step is kept as it is.</p>`;
    }
  }

  /**
   * "Docker build and publish": tags are a list and build arguments NAME=value lines in the form,
   * parsed when the field is left (parsing as one types would re-render away a trailing separator).
   */
  #dockerBuild(s: Path) {
    const f = this.form!;
    const id = `docker-${s.join('-')}`;
    const args = Object.entries((f.get([...s, 'buildArgs']) as Record<string, string> | undefined) ?? {});
    return html`<div class="inline">${f.text([...s, 'repository'], 'Repository', { hint: 'e.g. team/app; the registry host goes in front of it', placeholder: 'team/app' })}
        <div class="field"><label for=${`${id}-tags`}>Tags</label>
          <input id=${`${id}-tags`} .value=${((f.get([...s, 'tags']) as string[] | undefined) ?? []).join(', ')}
            @change=${(e: Event) => f.set([...s, 'tags'], (e.target as HTMLInputElement).value.split(/[\s,]+/).filter((tag) => tag !== ''))}>
          <div class="hint">Comma-separated; $VAR expanded, e.g. $BUILD_NUMBER, latest</div>${f.errorAt([...s, 'tags'])}</div></div>
      <div class="inline">${f.text([...s, 'context'], 'Build context', { hint: 'A directory of the workspace' })}
        ${f.text([...s, 'dockerfile'], 'Dockerfile', { emptyAsUndefined: true, hint: 'Workspace-relative; empty = Dockerfile in the context' })}</div>
      <div class="field"><label for=${`${id}-args`}>Build arguments</label>
        <textarea id=${`${id}-args`} class="code" rows="2" spellcheck="false" .value=${args.map(([k, v]) => `${k}=${v}`).join('\n')}
          @change=${(e: Event) => {
            const lines = (e.target as HTMLTextAreaElement).value.split('\n').filter((line) => line.trim() !== '');
            f.set([...s, 'buildArgs'], lines.length ? Object.fromEntries(lines.map((line) => [line.split('=')[0]!.trim(), line.slice(line.indexOf('=') + 1)])) : undefined);
          }}></textarea>
        <div class="hint">NAME=value lines; values $VAR expanded. Not for secrets: they stay in the image's history.</div>${f.errorAt([...s, 'buildArgs'])}</div>
      <div class="inline">${f.text([...s, 'registry', 'url'], 'Registry URL', { emptyAsUndefined: true, hint: 'http(s)://host[:port]; empty = the repository names it (Docker Hub)' })}
        ${credentialSelect(f, [...s, 'registry', 'credentialsId'], this.credentials, 'usernamePassword', 'Registry credentials', { none: '— none: push without logging in —' })}</div>
      ${f.check([...s, 'registry', 'insecure'], 'Skip TLS verification for this registry', 'An http:// URL implies it.')}
      ${f.check([...s, 'push'], 'Push the image', 'Off: build and tag only.')}
      ${f.check([...s, 'noCache'], 'Do not use the build cache')}
      ${f.check([...s, 'pull'], 'Always pull a newer base image')}`;
  }

  #publisher(i: number) {
    const f = this.form!;
    const p = ['publishers', i];
    switch (f.get([...p, 'type'])) {
      case 'archiveArtifacts':
        return html`<div class="inline">${f.text([...p, 'artifacts'], 'Files to archive', { hint: 'Ant patterns, e.g. dist/**/*.tgz' })}
          ${f.text([...p, 'excludes'], 'Excludes', { emptyAsUndefined: true })}</div>
          ${f.check([...p, 'allowEmptyArchive'], 'Do not fail the build if archiving returns nothing')}
          ${f.check([...p, 'onlyIfSuccessful'], 'Archive artifacts only if the build is successful')}`;
      case 'buildOtherProjects':
        return html`<div class="inline">${f.text([...p, 'projects'], 'Projects to build', { hint: 'Comma-separated' })}
          ${f.select([...p, 'threshold'], 'When', THRESHOLDS)}</div>`;
      case 'triggerBuilds':
        return this.#trigger(p);
      case 'commitStatus':
        return html`<div class="inline">${f.select([...p, 'forge'], 'Forge', FORGES)}
          ${credentialSelect(f, [...p, 'credentialsId'], this.credentials, 'secretText', 'Credentials (secret text holding the API token)')}
          ${f.text([...p, 'context'], 'Context', { emptyAsUndefined: true, hint: 'The status name; empty: the job name (GitLab: jenkins)' })}
          ${f.text([...p, 'apiUrl'], 'API URL', { emptyAsUndefined: true, hint: 'GitHub Enterprise or a self-hosted forge, e.g. https://ghe.example.com/api/v3; empty: from the repository URL' })}</div>
          <p class="hint">Pending when the build starts, its result when it ends, on the commit it built; a forge that fails is told in the console.</p>`;
      case 'mailer':
        return html`${f.text([...p, 'recipients'], 'Recipients', { hint: 'Whitespace- or comma-separated addresses; mailed on failure, unstable and back to normal. Server: Manage Jonkkins → System.' })}
          ${f.check([...p, 'notifyEveryUnstableBuild'], 'Send e-mail for every unstable build', 'Off: only the first unstable build after a stable one.')}
          ${f.check([...p, 'sendToIndividuals'], 'Send separate e-mails to individuals who broke the build', 'Adds the authors of the build’s changes.')}`;
      case 'slackNotifier':
        return html`<div class="inline">${SLACK_EVENTS.map(([key, label]) => f.check([...p, key], label))}</div>
          ${f.text([...p, 'channel'], 'Channel / member id', { emptyAsUndefined: true, hint: 'Empty: the default channel of Manage Jonkkins → System → Slack. Several: comma-separated.' })}
          ${f.check([...p, 'includeCustomMessage'], 'Include Custom Message')}
          ${f.get([...p, 'includeCustomMessage']) ? f.textarea([...p, 'customMessage'], 'Custom Message') : nothing}
          ${f.select([...p, 'commitInfo'], 'Notification message includes', COMMIT_INFO)}`;
      default:
        return html`<p class="muted">This action is kept as it is.</p>`;
    }
  }

  /** Poll SCM (a schedule, or empty: only notifyCommit and Gitea pushes), the GitHub hook and the GitLab token. */
  #scmTriggers() {
    const f = this.form!;
    const polling = f.get(['triggers', 'pollScm']) !== undefined;
    return html`<div class="field"><label class="check"><input id="poll-scm" type="checkbox" .checked=${polling}
        @change=${(e: Event) => f.set(['triggers', 'pollScm'], (e.target as HTMLInputElement).checked ? 'H/15 * * * *' : undefined)}> Poll SCM</label>
        <div class="hint">Builds when the repository's branches moved. /git/notifyCommit and Gitea pushes build the jobs that poll.</div></div>
      ${polling ? f.textarea(['triggers', 'pollScm'], 'Poll SCM schedule', { code: true, rows: 2, hint: 'Jenkins cron, H for a hash; empty: never on a timer, only when notified.' }) : nothing}
      ${f.check(['triggers', 'githubPush'], 'GitHub hook trigger for GITScm polling', 'A push to the repository (POST /github-webhook/) builds this job.')}
      ${f.text(['triggers', 'gitlabSecretToken'], 'Build when a change is pushed to GitLab: secret token', { emptyAsUndefined: true, hint: `GitLab webhook URL: /project/${this.jobName}, with this secret token.` })}`;
  }

  #trigger(path: Path) {
    const f = this.form!;
    return html`<div class="inline">${f.text([...path, 'projects'], 'Projects to build', { hint: 'Comma-separated; $VAR expanded' })}
        ${f.select([...path, 'condition'], 'Trigger when build is', CONDITIONS)}</div>
      ${f.check([...path, 'currentParameters'], 'Current build parameters')}
      ${f.textarea([...path, 'predefinedParameters'], 'Predefined parameters', { code: true, rows: 3, hint: 'KEY=value lines; $VAR expanded from the build' })}
      ${f.text([...path, 'propertiesFile'], 'Parameters from properties file', { emptyAsUndefined: true, hint: 'Workspace-relative path(s), comma-separated' })}`;
  }

  #env() {
    const f = this.form!;
    const entries = Object.entries((f.get(['env']) as Record<string, string> | undefined) ?? {});
    const rename = (from: string, to: string) => f.set(['env'], Object.fromEntries(entries.map(([k, v]) => [k === from ? to : k, v])));
    return html`${entries.map(([k, v], i) => html`<div class="env-row">
        <input aria-label=${`Variable ${i + 1} name`} .value=${k} @change=${(e: Event) => rename(k, (e.target as HTMLInputElement).value)}>
        <input aria-label=${`Variable ${i + 1} value`} .value=${v} @input=${(e: InputEvent) => f.set(['env', k], (e.target as HTMLInputElement).value)}>
        <button type="button" class="icon danger" aria-label="Remove variable" @click=${() => f.set(['env'], Object.fromEntries(entries.filter(([n]) => n !== k)))}>✕</button>
      </div>${f.errorAt(['env', k])}`)}
      <button type="button" @click=${() => f.set(['env', `VAR_${entries.length + 1}`], '')}>Add variable</button>`;
  }
}
customElements.define('jk-job-config-page', JkJobConfigPage);
