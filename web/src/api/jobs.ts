/** Jobs: definitions, triggering, and the builds of one job. */
import type { JobInput } from '../../../shared/src/job.ts';
import { requestJson, send, seg } from './http.ts';
import type { Build, JobDetails, JobSummary } from './types.ts';

const jobPath = (name: string) => `/api/jobs/${seg(name)}`;

/**
 * The jobs, or only those of a view, or only those a view's includeRegex would add: which jobs
 * a view holds is the master's answer (shared/src/view.ts matchesView), never worked out here.
 */
export async function listJobs(filter: { view?: string; includeRegex?: string } = {}): Promise<JobSummary[]> {
  const query = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined));
  return (await requestJson<{ jobs: JobSummary[] }>('GET', `/api/jobs${query.size ? `?${query}` : ''}`)).jobs;
}
export const getJob = (name: string) => requestJson<JobDetails>('GET', jobPath(name));
export const createJob = (job: JobInput) => requestJson<JobDetails>('POST', '/api/jobs', { body: job });
export const saveJob = (name: string, job: JobInput) => requestJson<JobDetails>('PUT', jobPath(name), { body: job });
/** The job's last Poll SCM log (Jenkins' Git Polling Log), as text. */
export const pollingLog = async (name: string) => (await send('GET', `${jobPath(name)}/scm-polling-log`)).text();
export const deleteJob = (name: string) => requestJson<void>('DELETE', jobPath(name));
export const setJobEnabled = (name: string, enabled: boolean) => requestJson<JobDetails>('POST', `${jobPath(name)}/${enabled ? 'enable' : 'disable'}`);

/** Triggers a build; FormData when a file parameter is sent (one part per parameter). */
export async function triggerBuild(name: string, parameters: Record<string, string | boolean> | FormData = {}): Promise<number> {
  const body = parameters instanceof FormData ? parameters : { parameters };
  return (await requestJson<{ queueId: number }>('POST', `${jobPath(name)}/builds`, { body })).queueId;
}

export async function listBuilds(name: string, options: { limit?: number; before?: number } = {}): Promise<Build[]> {
  const query = new URLSearchParams();
  if (options.limit) query.set('limit', String(options.limit));
  if (options.before) query.set('before', String(options.before));
  const qs = query.size ? `?${query}` : '';
  return (await requestJson<{ builds: Build[] }>('GET', `${jobPath(name)}/builds${qs}`)).builds;
}

/** Build History: every job's builds, newest first; `before` (a queue id) pages back. */
export async function listAllBuilds(options: { limit?: number; before?: number } = {}): Promise<Build[]> {
  const query = new URLSearchParams();
  if (options.limit) query.set('limit', String(options.limit));
  if (options.before) query.set('before', String(options.before));
  return (await requestJson<{ builds: Build[] }>('GET', `/api/builds${query.size ? `?${query}` : ''}`)).builds;
}

export const buildPath = (job: string, ref: number | string) => `${jobPath(job)}/builds/${seg(ref)}`;
export const getBuild = (job: string, ref: number | string) => requestJson<Build>('GET', buildPath(job, ref));
export const abortBuild = (job: string, ref: number | string) => requestJson<unknown>('POST', `${buildPath(job, ref)}/abort`);

/** One slice of the console (Jenkins' progressiveText): bytes from `start`, the next offset, and whether more will come. */
export async function readLog(job: string, ref: number | string, start: number, signal?: AbortSignal): Promise<{ bytes: Uint8Array; next: number; more: boolean }> {
  const res = await send('GET', `${buildPath(job, ref)}/log?start=${start}`, { signal });
  return { bytes: new Uint8Array(await res.arrayBuffer()), next: Number(res.headers.get('X-Text-Size') ?? start), more: res.headers.get('X-More-Data') === 'true' };
}

export async function previewCron(spec: string, job: string): Promise<{ previous: string | null; next: string | null; timeZone: string; warnings: string[] }> {
  return requestJson('GET', `/api/cron/preview?${new URLSearchParams({ spec, job })}`);
}
