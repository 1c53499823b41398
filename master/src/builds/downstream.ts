/**
 * Triggering other jobs from a build. Post-build triggers run inside the transaction that
 * finishes the upstream build (so a trigger is never lost, and its lines come before "Finished:"):
 * "Trigger parameterized builds on other projects" (triggerBuilds), "Build other projects"
 * (buildOtherProjects), and the reverse, "Build after other projects are built" (a job's
 * triggers.upstream). The "Trigger/call builds on other projects" build step (fireStep) queues its
 * builds while the upstream build runs, and may mark them as awaited by it.
 */
import { parse as parseProperties } from 'dot-properties';
import { sql, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { isBetterOrEqual, type BuildResult } from '../../../shared/src/build.ts';
import { Job, type Publisher, type TriggerBuildsStep, type TriggerCondition } from '../../../shared/src/job.ts';
import { expandVariables } from '../../../shared/src/expand-variables.ts';
import { DomainError, NotFoundError } from '../errors.ts';
import { projectList } from '../jobs/job-relations.ts';
import type { JobsService, StoredJob } from '../jobs/jobs.ts';
import { markAwaited, type BuildRow } from './build-rows.ts';
import type { BuildQueueing } from './queueing.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const NameConfigRow = z.object({ name: z.string(), config: z.unknown() });
const ConfigRow = z.object({ config: z.unknown() });
/** Jenkins' ResultCondition. */
export function conditionHolds(condition: TriggerCondition, result: BuildResult): boolean {
  switch (condition) {
    case 'SUCCESS':
      return result === 'SUCCESS';
    case 'UNSTABLE':
      return result === 'UNSTABLE';
    case 'FAILED':
      return result === 'FAILURE';
    case 'UNSTABLE_OR_BETTER':
      return isBetterOrEqual(result, 'UNSTABLE');
    case 'FAILED_OR_BETTER':
      return isBetterOrEqual(result, 'FAILURE');
    case 'UNSTABLE_OR_WORSE':
      return !isBetterOrEqual(result, 'SUCCESS');
    case 'ALWAYS':
      return true;
  }
}

type ParameterizedTrigger = Extract<Publisher, { type: 'triggerBuilds' }> | TriggerBuildsStep;

/**
 * The parameters a parameterized trigger passes on, later sources winning: the current build's
 * (file parameters excepted), the predefined lines (values `$VAR`-expanded), then the properties
 * files' texts in order (parameterized-trigger's mergeParameters).
 */
export function triggerParameters(trigger: ParameterizedTrigger, upstream: Job, env: Record<string, string>, parameters: Record<string, string>, propertiesTexts: string[]): Record<string, string> {
  const fileParameters = new Set(upstream.parameters.filter((p) => p.type === 'file').map((p) => p.name));
  const current = trigger.currentParameters ? Object.fromEntries(Object.entries(parameters).filter(([k]) => !fileParameters.has(k))) : {};
  const merged: Record<string, string> = { ...current };
  for (const text of [trigger.predefinedParameters, ...propertiesTexts]) {
    for (const [k, v] of Object.entries(parseProperties(text))) merged[k] = expandVariables(String(v), env);
  }
  return merged;
}

export interface Target {
  project: string;
  parameters: Record<string, string>;
}

export interface Fired {
  /** Console lines for the upstream build. */
  lines: string[];
  /** Builds queued in the transaction: announce them after it commits. */
  queued: { stored: StoredJob; queueId: number }[];
  /** Targets that could not be triggered (not found, disabled, refused). */
  missed: number;
}

export class DownstreamTriggers {
  readonly #jobs: JobsService;
  readonly #queueing: BuildQueueing;
  constructor(jobs: JobsService, queueing: BuildQueueing) {
    this.#jobs = jobs;
    this.#queueing = queueing;
  }

  /**
   * Post-build: `env` is the upstream build's environment; `parameters` its parameter values in
   * plain text; `properties[i]` the properties files' texts the agent read for publisher i.
   */
  async fire(tx: DatabaseTransactionConnection, upstream: BuildRow, job: Job, result: BuildResult, env: Record<string, string>, parameters: Record<string, string>, properties: Record<number, string[]> = {}): Promise<Fired> {
    const targets: Target[] = [];
    job.publishers.forEach((publisher, i) => {
      if (publisher.type === 'triggerBuilds' && conditionHolds(publisher.condition, result)) {
        const values = triggerParameters(publisher, job, env, parameters, properties[i] ?? []);
        for (const project of projectList(expandVariables(publisher.projects, env))) targets.push({ project, parameters: values });
      }
      if (publisher.type === 'buildOtherProjects' && isBetterOrEqual(result, publisher.threshold)) {
        for (const project of projectList(expandVariables(publisher.projects, env))) targets.push({ project, parameters: {} });
      }
    });
    const watchers = await tx.any(sql.type(NameConfigRow)`
      SELECT name, config FROM jobs WHERE config -> 'triggers' ? 'upstream'`);
    for (const w of watchers) {
      const upstreamTrigger = Job.parse(w.config).triggers.upstream;
      if (!upstreamTrigger || !isBetterOrEqual(result, upstreamTrigger.threshold)) continue;
      if (projectList(upstreamTrigger.projects).some((p) => p.toLowerCase() === job.name.toLowerCase())) targets.push({ project: w.name, parameters: {} });
    }
    return this.#queueTargets(tx, upstream, job.name, targets, { awaitedBy: null, announce: true });
  }

  /**
   * The trigger build step: queues one build per project (none when the condition does not hold
   * for the result so far); with `awaitedBy`, each is marked as awaited by that build.
   */
  async fireStep(tx: DatabaseTransactionConnection, upstream: BuildRow, step: TriggerBuildsStep, resultSoFar: BuildResult, env: Record<string, string>, parameters: Record<string, string>, propertiesTexts: string[]): Promise<Fired> {
    if (!conditionHolds(step.condition, resultSoFar)) return { lines: [`Trigger condition ${step.condition} does not hold for ${resultSoFar}; nothing triggered\n`], queued: [], missed: 0 };
    const job = Job.parse(await tx.oneFirst(sql.type(ConfigRow)`SELECT config FROM jobs WHERE id = ${upstream.job_id}`));
    const values = triggerParameters(step, job, env, parameters, propertiesTexts);
    const targets = projectList(expandVariables(step.projects, env)).map((project) => ({ project, parameters: values }));
    return this.#queueTargets(tx, upstream, job.name, targets, { awaitedBy: step.block ? upstream.id : null, announce: false, allOrNothing: true });
  }

  /**
   * Queues each target with an upstream cause; a target that cannot be built (not found,
   * disabled) gets a console line instead. With `allOrNothing`, one such target queues none.
   * With `announce`, each queued one gets "Triggering a new build of X".
   */
  async #queueTargets(tx: DatabaseTransactionConnection, upstream: BuildRow, upstreamName: string, targets: Target[], opts: { awaitedBy: number | null; announce: boolean; allOrNothing?: boolean }): Promise<Fired> {
    const fired: Fired = { lines: [], queued: [], missed: 0 };
    const found: { stored: StoredJob; target: Target }[] = [];
    for (const target of targets) {
      const stored = await this.#jobs.find(target.project, tx).catch((err: unknown) => {
        if (err instanceof NotFoundError) return null;
        throw err;
      });
      if (!stored) fired.lines.push(`Project ‘${target.project}’ not found; not triggered\n`);
      else if (stored.job.disabled) fired.lines.push(`${stored.job.name} is disabled; not triggered\n`);
      else found.push({ stored, target });
    }
    fired.missed = targets.length - found.length;
    if (opts.allOrNothing && fired.missed > 0) return fired;
    for (const { stored, target } of found) {
      // Values go to the parameters the downstream job defines (others are dropped, as in
      // Jenkins since SECURITY-170), converted to their types; missing ones take their defaults.
      const defined = new Set(stored.job.parameters.filter((p) => p.type !== 'file').map((p) => p.name));
      const given = Object.fromEntries(Object.entries(target.parameters).filter(([k]) => defined.has(k)));
      try {
        const queueId = await this.#queueing.queueIn(tx, stored, given, { kind: 'upstream', job: upstreamName, number: upstream.number! });
        if (opts.awaitedBy !== null) await markAwaited(tx, queueId, opts.awaitedBy);
        fired.queued.push({ stored, queueId });
        if (opts.announce) fired.lines.push(`Triggering a new build of ${stored.job.name}\n`);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        fired.missed++;
        fired.lines.push(`Cannot trigger ${target.project}: ${err.message}\n`);
      }
    }
    return fired;
  }
}
