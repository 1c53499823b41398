/**
 * The variables a trigger step exports to the steps after it (parameterized-trigger's
 * BuildInfoExporterAction), accumulated over every trigger step of the build. Job names in
 * variable names have each run of non-alphanumerics replaced by `_`.
 */
import type { BuildResult } from '../../shared/src/build.ts';

export const sanitizeJobName = (name: string) => name.replace(/[^A-Za-z0-9]+/g, '_');

export class TriggeredBuilds {
  /** Job name → its triggered builds that ran, in order; a job triggered without waiting has none. */
  readonly #runs = new Map<string, { number: number; result: BuildResult }[]>();
  #last: string | undefined;

  /** A job was triggered (a non-blocking step records only this). */
  triggered(job: string): void {
    if (!this.#runs.has(job)) this.#runs.set(job, []);
    this.#last = job;
  }

  /** A build this build waited for completed. */
  completed(job: string, number: number, result: BuildResult): void {
    this.triggered(job);
    this.#runs.get(job)!.push({ number, result });
  }

  /** LAST_TRIGGERED_JOB_NAME, TRIGGERED_JOB_NAMES, and per job TRIGGERED_BUILD_NUMBER(S)_, _RESULT_, _RUN_COUNT_. */
  environment(): Record<string, string> {
    const env: Record<string, string> = {};
    if (this.#last === undefined) return env;
    env.LAST_TRIGGERED_JOB_NAME = this.#last;
    env.TRIGGERED_JOB_NAMES = [...this.#runs.keys()].join(',');
    for (const [job, runs] of this.#runs) {
      const last = runs.at(-1);
      if (!last) continue;
      const s = sanitizeJobName(job);
      env[`TRIGGERED_BUILD_NUMBER_${s}`] = String(last.number);
      env[`TRIGGERED_BUILD_NUMBERS_${s}`] = runs.map((r) => r.number).join(',');
      env[`TRIGGERED_BUILD_RESULT_${s}`] = last.result;
      env[`TRIGGERED_BUILD_RUN_COUNT_${s}`] = String(runs.length);
      runs.forEach((r) => (env[`TRIGGERED_BUILD_RESULT_${s}_RUN_${r.number}`] = r.result));
    }
    return env;
  }
}
