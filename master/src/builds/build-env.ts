/**
 * The environment the master gives a build (reference: Jenkins' CoreEnvironmentContributor). The
 * agent adds WORKSPACE, WORKSPACE_TMP, NODE_NAME, NODE_LABELS and EXECUTOR_NUMBER. The README's
 * table of build variables documents every one.
 */
import type { Cause } from '../../../shared/src/build.ts';
import type { Job } from '../../../shared/src/job.ts';
import type { BuildRow } from './build-rows.ts';
import { SecretBox } from '../secret-box.ts';
import { RUN_VALUE } from './parameters.ts';

const CAUSE_NAMES: Record<Cause['kind'], string> = { user: 'MANUALTRIGGER', remote: 'REMOTECAUSE', timer: 'TIMERTRIGGER', upstream: 'UPSTREAMTRIGGER' };

export function jobUrl(publicUrl: string, jobName: string): string {
  return `${publicUrl}job/${encodeURIComponent(jobName)}/`;
}

export function buildEnvironment(opts: { job: Job; number: number; causes: Cause[]; parameters: Record<string, string>; publicUrl: string }): Record<string, string> {
  const { job, number, publicUrl } = opts;
  const causeNames = [...new Set(opts.causes.map((c) => CAUSE_NAMES[c.kind]))];
  const env: Record<string, string> = {
    ...job.env,
    CI: 'true',
    BUILD_NUMBER: String(number),
    BUILD_ID: String(number),
    BUILD_DISPLAY_NAME: `#${number}`,
    BUILD_TAG: `jonkkins-${job.name.replaceAll('/', '-')}-${number}`,
    JOB_NAME: job.name,
    JOB_BASE_NAME: job.name,
    JOB_URL: jobUrl(publicUrl, job.name),
    BUILD_URL: `${jobUrl(publicUrl, job.name)}${number}/`,
    JONKKINS_URL: publicUrl,
    JENKINS_URL: publicUrl,
    BUILD_CAUSE: causeNames.join(','),
    ...Object.fromEntries(causeNames.map((n) => [`BUILD_CAUSE_${n}`, 'true'])),
  };
  // Parameters win over the job's env, as in Jenkins; each is NAME=value.
  for (const [name, value] of Object.entries(opts.parameters)) env[name] = value;
  for (const p of job.parameters) if (p.type === 'run' && opts.parameters[p.name] !== undefined) Object.assign(env, runParameterEnvironment(p.name, opts.parameters[p.name]!, publicUrl));
  return env;
}

/** A run parameter's variables, as Jenkins' RunParameterValue.buildEnvironment less NAME_RESULT: NAME (the build's URL), NAME_JOBNAME, NAME_NUMBER, NAME_NAME. */
export function runParameterEnvironment(name: string, value: string, publicUrl: string): Record<string, string> {
  const match = RUN_VALUE.exec(value);
  if (!match) return { [name]: value };
  const [, job, number] = match as unknown as [string, string, string];
  return { [name]: `${jobUrl(publicUrl, job)}${number}/`, [`${name}_JOBNAME`]: job, [`${name}_NUMBER`]: number, [`${name}_NAME`]: `#${number}` };
}

/** A build's parameter values in plain text (password values opened). */
export function plainParameters(row: BuildRow, secrets: SecretBox): Record<string, string> {
  return Object.fromEntries(Object.entries(row.parameters).map(([k, v]) => [k, SecretBox.isSealed(v) ? secrets.open(v) : String(v)]));
}

/** What a running or finishing build's triggers expand `$VAR`s with: its environment plus where it ran. */
export function triggerEnvironment(opts: { job: Job; row: BuildRow; parameters: Record<string, string>; publicUrl: string }): Record<string, string> {
  const { row } = opts;
  return {
    ...buildEnvironment({ job: opts.job, number: row.number!, causes: row.causes, parameters: opts.parameters, publicUrl: opts.publicUrl }),
    NODE_NAME: row.agent_name ?? '',
    EXECUTOR_NUMBER: String(row.executor ?? ''),
  };
}
