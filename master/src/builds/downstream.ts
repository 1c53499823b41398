/**
 * Post-build triggers, run inside the transaction that finishes the upstream build (so a trigger
 * is never lost, and its lines come before "Finished:"): "Trigger parameterized builds on other
 * projects" (triggerBuilds), "Build other projects" (buildOtherProjects), and the reverse,
 * "Build after other projects are built" (a job's triggers.upstream).
 */
import { parse as parseProperties } from 'dot-properties';
import { sql, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { isBetterOrEqual, type BuildResult } from '../../../shared/src/build.ts';
import { Job, type TriggerCondition } from '../../../shared/src/job.ts';
import { expandVariables } from '../../../shared/src/expand-variables.ts';
import { DomainError, NotFoundError } from '../errors.ts';
import type { JobsService, StoredJob } from '../jobs/jobs.ts';
import type { BuildRow } from './build-rows.ts';
import type { BuildsService } from './builds.ts';

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


const projectList = (text: string) => text.split(',').map((p) => p.trim()).filter(Boolean);

interface Target {
  project: string;
  parameters: Record<string, string>;
}

export interface Fired {
  /** Console lines for the upstream build. */
  lines: string[];
  /** Builds queued in the transaction: announce them after it commits. */
  queued: { stored: StoredJob; queueId: number }[];
}

export class DownstreamTriggers {
  readonly #jobs: JobsService;
  readonly #builds: BuildsService;
  constructor(jobs: JobsService, builds: BuildsService) {
    this.#jobs = jobs;
    this.#builds = builds;
  }

  /** `env` is the upstream build's environment; `parameters` its parameter values in plain text. */
  async fire(tx: DatabaseTransactionConnection, upstream: BuildRow, result: BuildResult, env: Record<string, string>, parameters: Record<string, string>): Promise<Fired> {
    const job = Job.parse(await tx.oneFirst(sql.type(z.object({ config: z.unknown() }))`SELECT config FROM jobs WHERE id = ${upstream.job_id}`));
    const targets: Target[] = [];
    for (const publisher of job.publishers) {
      if (publisher.type === 'triggerBuilds' && conditionHolds(publisher.condition, result)) {
        const fileParameters = new Set(job.parameters.filter((p) => p.type === 'file').map((p) => p.name));
        const current = publisher.currentParameters ? Object.fromEntries(Object.entries(parameters).filter(([k]) => !fileParameters.has(k))) : {};
        const predefined = Object.fromEntries(Object.entries(parseProperties(publisher.predefinedParameters)).map(([k, v]) => [k, expandVariables(String(v), env)]));
        for (const project of projectList(expandVariables(publisher.projects, env))) targets.push({ project, parameters: { ...current, ...predefined } });
      }
      if (publisher.type === 'buildOtherProjects' && isBetterOrEqual(result, publisher.threshold)) {
        for (const project of projectList(expandVariables(publisher.projects, env))) targets.push({ project, parameters: {} });
      }
    }
    const watchers = await tx.any(sql.type(z.object({ name: z.string(), config: z.unknown() }))`
      SELECT name, config FROM jobs WHERE config -> 'triggers' ? 'upstream'`);
    for (const w of watchers) {
      const upstreamTrigger = Job.parse(w.config).triggers.upstream;
      if (!upstreamTrigger || !isBetterOrEqual(result, upstreamTrigger.threshold)) continue;
      if (projectList(upstreamTrigger.projects).some((p) => p.toLowerCase() === job.name.toLowerCase())) targets.push({ project: w.name, parameters: {} });
    }

    const fired: Fired = { lines: [], queued: [] };
    for (const target of targets) {
      try {
        const stored = await this.#jobs.find(target.project, tx);
        if (stored.job.disabled) {
          fired.lines.push(`${stored.job.name} is disabled; not triggered\n`);
          continue;
        }
        // Values go to the parameters the downstream job defines (others are dropped, as in
        // Jenkins since SECURITY-170), converted to their types; missing ones take their defaults.
        const defined = new Map(stored.job.parameters.filter((p) => p.type !== 'file').map((p) => [p.name, p]));
        const given = Object.fromEntries(Object.entries(target.parameters).filter(([k]) => defined.has(k)));
        const queueId = await this.#builds.queueIn(tx, stored, given, { kind: 'upstream', job: job.name, number: upstream.number! });
        fired.queued.push({ stored, queueId });
        fired.lines.push(`Triggering a new build of ${stored.job.name}\n`);
      } catch (err) {
        if (err instanceof NotFoundError) fired.lines.push(`Project ‘${target.project}’ not found; not triggered\n`);
        else if (err instanceof DomainError) fired.lines.push(`Cannot trigger ${target.project}: ${err.message}\n`);
        else throw err;
      }
    }
    return fired;
  }
}
