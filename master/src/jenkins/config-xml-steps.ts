/**
 * `<builders>` (Shell, parameterized-trigger's TriggerBuilder, copyartifact's CopyArtifact, and
 * steps of kinds from step-kind modules) and `<publishers>` (ArtifactArchiver, core BuildTrigger,
 * parameterized-trigger's BuildTrigger).
 *
 * A TriggerBuilder or parameterized BuildTrigger with several configs becomes one step or
 * publisher per config; consecutive ones are written back as one element with several configs.
 */
import type { Job, Publisher, BuildStep, TriggerBuildsStep, BlockThreshold } from '../../../shared/src/job.ts';
import { attr, child, el, textOf, type XmlElement } from './xml-tree.ts';
import type { ReadContext } from './config-xml.ts';
import { readThreshold, writeThreshold } from './config-xml-scm.ts';
import { defined } from './config-xml-values.ts';

const PT = 'hudson.plugins.parameterizedtrigger.';
const SHELL = 'hudson.tasks.Shell';
const COPY = 'hudson.plugins.copyartifact.CopyArtifact';
const ARCHIVE = 'hudson.tasks.ArtifactArchiver';
const CORE_TRIGGER = 'hudson.tasks.BuildTrigger';
/** A step of a kind Jenkins has no element for (a step-kind module's): its document form as JSON. */
const JONKKINS_STEP = 'io.jonkkins.BuildStep';

export function readBuilders(ctx: ReadContext, root: XmlElement): unknown[] {
  const builders = child(root, 'builders');
  if (!builders) return [];
  const known = [SHELL, `${PT}TriggerBuilder`, COPY, JONKKINS_STEP];
  return ctx.r.takeAll(builders, (e) => known.includes(e.name)).flatMap((e) => readBuilder(ctx, e));
}

function readBuilder(ctx: ReadContext, e: XmlElement): unknown[] {
  const { r, fail } = ctx;
  const where = `<builders>/<${e.name}>`;
  if (e.name === SHELL) {
    const unstableReturn = r.int(e, 'unstableReturn', (t) => fail(`${where}/<unstableReturn>`, `must be a whole number, not '${t}'`));
    // Jenkins normalises the script to LF line endings; 0 means "no unstable exit code".
    return [defined({ type: 'shell', script: (r.text(e, 'command') ?? '').replace(/\r\n?/g, '\n'), unstableReturn: unstableReturn || undefined })];
  }
  if (e.name === COPY) return [readCopyArtifact(ctx, e, where)];
  if (e.name === JONKKINS_STEP) {
    try {
      return [JSON.parse(r.text(e, 'json') ?? '')];
    } catch {
      fail(`${where}/<json>`, 'must be a step of the job document, as JSON');
    }
  }
  return readTriggerConfigs(ctx, e, where, `${PT}BlockableBuildTriggerConfig`).map(({ config, step }) => {
    const block = r.take(config, 'block');
    if (block) {
      const threshold = (name: string): BlockThreshold => (readThreshold(ctx, wrapThreshold(r, block, name), `${where}/<block>/<${name}>`) as BlockThreshold) ?? 'never';
      step.block = { buildStepFailureThreshold: threshold('buildStepFailureThreshold'), unstableThreshold: threshold('unstableThreshold'), failureThreshold: threshold('failureThreshold') };
    }
    return step;
  });
}

/** The block thresholds are Results named by their element (`<unstableThreshold><name>…`): read as a `<threshold>`. */
function wrapThreshold(r: ReadContext['r'], block: XmlElement, name: string): XmlElement {
  const threshold = r.take(block, name);
  const wrapper = el('wrapper', threshold ? [{ ...threshold, name: 'threshold' }] : []);
  return wrapper;
}

function readCopyArtifact({ r, fail }: ReadContext, e: XmlElement, where: string): unknown {
  const step: Record<string, unknown> = { type: 'copyArtifacts', project: (r.text(e, 'project') ?? r.text(e, 'projectName') ?? '').trim() };
  const filter = r.text(e, 'filter');
  if (filter) step.filter = filter;
  const target = r.text(e, 'target');
  if (target) step.target = target;
  const selector = r.take(e, 'selector');
  const kind = selector ? attr(selector, 'class') : 'hudson.plugins.copyartifact.StatusBuildSelector';
  if (kind === 'hudson.plugins.copyartifact.SpecificBuildSelector') {
    const n = r.text(selector!, 'buildNumber')?.trim() ?? '';
    if (!/^[1-9]\d{0,9}$/.test(n)) fail(`${where}/<selector>/<buildNumber>`, `must be a build number, not '${n}'`);
    step.selector = Number(n);
  } else if (kind === 'hudson.plugins.copyartifact.StatusBuildSelector') {
    if (selector && r.bool(selector, 'stable')) fail(`${where}/<selector>`, 'Jonkkins copies from the last successful build (SUCCESS or UNSTABLE) or a given build number, not from the last stable one');
  } else {
    fail(`${where}/<selector>`, `'${kind}' is not a selector Jonkkins has (the last successful build: StatusBuildSelector, or a build number: SpecificBuildSelector)`);
  }
  return step;
}

/** Each config of a TriggerBuilder or parameterized BuildTrigger, as a step or publisher with what it passes on. */
function readTriggerConfigs(ctx: ReadContext, e: XmlElement, where: string, configName: string): { config: XmlElement; step: Record<string, unknown> }[] {
  const { r, fail } = ctx;
  const list = r.take(e, 'configs');
  const configs = list ? r.takeAll(list, (c) => c.name === configName) : [];
  return configs.map((config) => {
    const step: Record<string, unknown> = { type: 'triggerBuilds', projects: (r.text(config, 'projects') ?? '').trim() };
    const condition = r.text(config, 'condition')?.trim();
    if (condition) step.condition = condition;
    const sources = r.take(config, 'configs');
    if (sources) {
      if (r.take(sources, `${PT}CurrentBuildParameters`)) step.currentParameters = true;
      const predefined = r.take(sources, `${PT}PredefinedBuildParameters`);
      if (predefined) {
        step.predefinedParameters = r.text(predefined, 'properties') ?? '';
        if (child(predefined, 'textParamValueOnNewLine') && textOf(child(predefined, 'textParamValueOnNewLine')!).trim() !== 'true') r.take(predefined, 'textParamValueOnNewLine');
      }
      const files = r.take(sources, `${PT}FileBuildParameters`);
      if (files) {
        const names = r.text(files, 'propertiesFile')?.trim();
        if (!names) fail(`${where}/<${PT}FileBuildParameters>`, 'names no <propertiesFile>');
        step.propertiesFile = names;
      }
    }
    return { config, step };
  });
}

export function writeBuilders(job: Job): XmlElement {
  return el('builders', groupTriggers(job.steps, (s) => s.type === 'triggerBuilds', writeStep, (run) => writeTriggerElement(`${PT}TriggerBuilder`, `${PT}BlockableBuildTriggerConfig`, run as TriggerBuildsStep[])));
}

function writeStep(step: BuildStep): XmlElement {
  if (step.type === 'shell') return el(SHELL, [el('command', step.script), ...(step.unstableReturn ? [el('unstableReturn', String(step.unstableReturn))] : [])]);
  if (step.type === 'copyArtifacts') {
    const selector =
      step.selector === 'lastSuccessful'
        ? el('selector', [el('stable', 'false')], [['class', 'hudson.plugins.copyartifact.StatusBuildSelector']])
        : el('selector', [el('buildNumber', String(step.selector))], [['class', 'hudson.plugins.copyartifact.SpecificBuildSelector']]);
    return el(COPY, [el('project', step.project), ...(step.filter ? [el('filter', step.filter)] : []), ...(step.target ? [el('target', step.target)] : []), selector]);
  }
  return el(JONKKINS_STEP, [el('json', JSON.stringify(step))]);
}

/** Runs of consecutive items that `isTrigger` picks become one element (`writeRun`); the others are written one by one. */
function groupTriggers<T>(items: T[], isTrigger: (t: T) => boolean, writeOne: (t: T) => XmlElement, writeRun: (run: T[]) => XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  let run: T[] = [];
  const flush = () => {
    if (run.length > 0) out.push(writeRun(run));
    run = [];
  };
  for (const item of items) {
    if (isTrigger(item)) run.push(item);
    else (flush(), out.push(writeOne(item)));
  }
  flush();
  return out;
}

type ParameterizedTrigger = Pick<TriggerBuildsStep, 'projects' | 'currentParameters' | 'predefinedParameters' | 'propertiesFile' | 'condition'> & { block?: TriggerBuildsStep['block'] };

function writeTriggerElement(name: string, configName: string, run: ParameterizedTrigger[]): XmlElement {
  const configs = run.map((t) => {
    const sources: XmlElement[] = [];
    if (t.currentParameters) sources.push(el(`${PT}CurrentBuildParameters`));
    if (t.predefinedParameters) sources.push(el(`${PT}PredefinedBuildParameters`, [el('properties', t.predefinedParameters)]));
    if (t.propertiesFile) sources.push(el(`${PT}FileBuildParameters`, [el('propertiesFile', t.propertiesFile)]));
    const block = t.block && [
      el(
        'block',
        (['buildStepFailureThreshold', 'unstableThreshold', 'failureThreshold'] as const).flatMap((k) => {
          const v = t.block![k];
          return v === 'never' ? [] : [{ ...writeThreshold(v), name: k }];
        }),
      ),
    ];
    return el(configName, [el('configs', sources), el('projects', t.projects), el('condition', t.condition), ...(block ?? [])]);
  });
  return el(name, [el('configs', configs)]);
}

export function readPublishers(ctx: ReadContext, root: XmlElement): unknown[] {
  const { r } = ctx;
  const publishers = child(root, 'publishers');
  if (!publishers) return [];
  const known = [ARCHIVE, CORE_TRIGGER, `${PT}BuildTrigger`];
  return r.takeAll(publishers, (e) => known.includes(e.name)).flatMap((e): unknown[] => {
    const where = `<publishers>/<${e.name}>`;
    if (e.name === ARCHIVE) {
      return [defined({ type: 'archiveArtifacts', artifacts: r.text(e, 'artifacts') ?? '', excludes: r.text(e, 'excludes') || undefined, allowEmptyArchive: r.bool(e, 'allowEmptyArchive'), onlyIfSuccessful: r.bool(e, 'onlyIfSuccessful') })];
    }
    if (e.name === CORE_TRIGGER) return [defined({ type: 'buildOtherProjects', projects: (r.text(e, 'childProjects') ?? '').trim(), threshold: readThreshold(ctx, e, where) })];
    return readTriggerConfigs(ctx, e, where, `${PT}BuildTriggerConfig`).map(({ step }) => step);
  });
}

export function writePublishers(job: Job): XmlElement {
  const writeOne = (p: Publisher): XmlElement => {
    if (p.type === 'archiveArtifacts') {
      const fields = [el('artifacts', p.artifacts), ...(p.excludes ? [el('excludes', p.excludes)] : [])];
      if (p.allowEmptyArchive !== undefined) fields.push(el('allowEmptyArchive', String(p.allowEmptyArchive)));
      if (p.onlyIfSuccessful !== undefined) fields.push(el('onlyIfSuccessful', String(p.onlyIfSuccessful)));
      return el(ARCHIVE, fields);
    }
    if (p.type === 'buildOtherProjects') return el(CORE_TRIGGER, [el('childProjects', p.projects), writeThreshold(p.threshold)]);
    return writeTriggerElement(`${PT}BuildTrigger`, `${PT}BuildTriggerConfig`, [p as ParameterizedTrigger]);
  };
  return el('publishers', groupTriggers(job.publishers, (p) => p.type === 'triggerBuilds', writeOne, (run) => writeTriggerElement(`${PT}BuildTrigger`, `${PT}BuildTriggerConfig`, run as ParameterizedTrigger[])));
}
