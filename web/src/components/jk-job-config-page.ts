/**
 * Configure a freestyle job, grouped as in Jenkins: General, Triggers, Environment, Build Steps,
 * Post-build Actions. Steps, actions and parameters can be added, removed and reordered; the
 * server's validation messages appear next to their fields; cron specs are previewed as you type.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError } from '../api/http.ts';
import { getJob, previewCron, saveJob } from '../api/jobs.ts';
import type { JobInput } from '../../../shared/src/job.ts';
import { DraftForm, type Path } from '../config-form.ts';
import { dateTime } from '../format.ts';
import { jobUrl, navigate } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

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
};
const PUBLISHER_KINDS: Record<string, [string, () => object]> = {
  archiveArtifacts: ['Archive the artifacts', () => ({ type: 'archiveArtifacts', artifacts: '' })],
  buildOtherProjects: ['Build other projects', () => ({ type: 'buildOtherProjects', projects: '', threshold: 'SUCCESS' })],
  triggerBuilds: ['Trigger parameterized build on other projects', () => ({ type: 'triggerBuilds', projects: '', condition: 'SUCCESS', currentParameters: false, predefinedParameters: '' })],
};

export class JkJobConfigPage extends LitElement {
  static override properties = { jobName: {}, form: { state: true }, error: { state: true }, busy: { state: true }, cron: { state: true }, revision: { state: true } };
  declare jobName: string;
  declare form: DraftForm | null;
  declare error: string;
  declare busy: boolean;
  declare cron: string;
  /** Bumped on every edit so Lit re-renders (the draft is mutated in place). */
  declare revision: number;
  #cronTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.jobName = '';
    this.form = null;
    this.error = '';
    this.busy = false;
    this.cron = '';
    this.revision = 0;
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
        <nav class="toc" aria-label="Sections">${['General', 'Triggers', 'Environment', 'Build Steps', 'Post-build Actions'].map((s) => html`<a href=${`#${s}`} @click=${(e: Event) => this.#jump(e, s)}>${s}</a>`)}</nav>
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
          <section class="panel" id="Triggers"><h2>Triggers</h2>
            ${f.text(['triggers', 'remoteToken'], 'Trigger builds remotely: authentication token', { emptyAsUndefined: true, hint: `POST /api/jobs/${this.jobName}/builds?token=… starts a build without a login.` })}
            ${f.textarea(['triggers', 'cron'], 'Build periodically (schedule)', { code: true, rows: 3, hint: 'Jenkins cron: MINUTE HOUR DOM MONTH DOW, H for a hash, @daily…; TZ= on the first line.' })}
            ${this.cron ? html`<p class="cron" role="status">${this.cron}</p>` : nothing}
            <h3>Build after other projects are built</h3>
            <div class="inline">
              ${f.text(['triggers', 'upstream', 'projects'], 'Projects to watch', { hint: 'Comma-separated' })}
              ${f.select(['triggers', 'upstream', 'threshold'], 'When', THRESHOLDS)}
            </div>
          </section>
          <section class="panel" id="Environment"><h2>Environment</h2>${this.#env()}</section>
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
      default:
        return html`<p class="muted">This step is kept as it is.</p>`;
    }
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
      default:
        return html`<p class="muted">This action is kept as it is.</p>`;
    }
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
