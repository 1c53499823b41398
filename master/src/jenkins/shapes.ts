/**
 * Jonkkins' objects in Jenkins' JSON shapes (reference §3, §5.2): jobs, builds, queue items,
 * views, users (parameters and causes: parameter-shapes.ts; nodes: node-shapes.ts). Pure functions of what the services answer; URLs
 * are absolute under `root` (the public URL, ending in /), as Jenkins' `url` fields are.
 */
import { jenkinsChangeSet } from '../scm/jenkins-change-set.ts';
import type { Build, JobSummary } from '../../../shared/src/api-responses.ts';
import type { BuildResult, Cause } from '../../../shared/src/build.ts';
import type { Job, ParameterDefinition } from '../../../shared/src/job.ts';
import type { View } from '../../../shared/src/view.ts';
import { exported, HIDDEN, lazy, type Exported } from './exported.ts';
import { buildPath, jobPath } from './jenkins-http.ts';
import { causeAction, parametersAction, parametersProperty } from './parameter-shapes.ts';

export const JOB_CLASS = 'hudson.model.FreeStyleProject';
export const BUILD_CLASS = 'hudson.model.FreeStyleBuild';

const COLORS: Record<BuildResult, string> = { SUCCESS: 'blue', UNSTABLE: 'yellow', FAILURE: 'red', NOT_BUILT: 'notbuilt', ABORTED: 'aborted' };

/** Jenkins' ball colour: the last completed build's, `_anime` while one runs; `disabled`, `notbuilt`. */
export function colorOf(job: Pick<JobSummary, 'disabled' | 'status' | 'building'>): string {
  if (job.disabled) return 'disabled';
  const base = job.status === null || job.status === 'disabled' ? 'notbuilt' : COLORS[job.status];
  return job.building ? `${base}_anime` : base;
}

/** A build as jobs and queue items name it: `{_class, number, url}`. */
export function buildRef(root: string, job: string, number: number | null | undefined): Exported | null {
  if (number === null || number === undefined) return null;
  return exported(BUILD_CLASS, { number, url: `${root}${buildPath(job, number)}` }, ['number']);
}

/** A job as lists name it (the root, views, relations): name, url, colour first. */
export function jobSummary(root: string, j: JobSummary): Exported {
  return exported(
    JOB_CLASS,
    {
      name: j.name,
      url: `${root}${jobPath(j.name)}`,
      color: colorOf(j),
      description: j.description,
      displayName: j.name,
      fullName: j.name,
      fullDisplayName: j.name,
      buildable: !j.disabled,
      inQueue: j.inQueue,
      lastBuild: buildRef(root, j.name, j.lastBuild?.number),
      lastSuccessfulBuild: buildRef(root, j.name, j.lastSuccessfulBuild?.number),
      lastFailedBuild: buildRef(root, j.name, j.lastFailedBuild?.number),
      healthReport: healthReport(j.health, j.healthDescription),
    },
    ['color'],
  );
}

function healthReport(score: number | null, description: string | null): Exported[] {
  if (score === null) return [];
  const icon = score > 80 ? 'health-80plus' : score > 60 ? 'health-60to79' : score > 40 ? 'health-40to59' : score > 20 ? 'health-20to39' : 'health-00to19';
  return [exported('hudson.model.HealthReport', { description, iconClassName: `icon-${icon}`, iconUrl: `${icon}.png`, score })];
}

type BuildDetails = Omit<Build, 'artifacts' | 'upstream' | 'downstream'> & { artifacts?: readonly { path: string }[] };

/** A build's api/json (FreeStyleBuild): actions with parameters and causes, artifacts, timing. */
export function buildJson(root: string, b: BuildDetails, rawCauses: Cause[], definitions: ParameterDefinition[]): Exported {
  const number = b.number!;
  const started = b.startedAt ? Date.parse(b.startedAt) : Date.parse(b.queuedAt);
  const actions: Exported[] = [];
  if (Object.keys(b.parameters).length > 0) actions.push(parametersAction(b.parameters, definitions));
  actions.push(causeAction(rawCauses));
  return exported(
    BUILD_CLASS,
    {
      actions,
      artifacts: (b.artifacts ?? []).map((a) => exported('hudson.model.Run$Artifact', { displayPath: a.path.split('/').at(-1), fileName: a.path.split('/').at(-1), relativePath: a.path }, { displayPath: 3, fileName: 3, relativePath: 3 })),
      building: b.building || b.state === 'queued',
      description: null,
      displayName: `#${number}`,
      duration: b.durationMs ?? 0,
      estimatedDuration: b.estimatedDurationMs ?? -1,
      executor: null,
      fullDisplayName: `${b.job} #${number}`,
      id: String(number),
      keepLog: false,
      number,
      queueId: b.queueId,
      result: b.result,
      timestamp: started,
      url: `${root}${buildPath(b.job, number)}`,
      builtOn: b.agent ?? '',
      changeSet: changeSetJson(root, b.changeSet),
      culprits: [],
      inProgress: b.state !== 'finished',
    },
    ['number'],
  );
}

/** The git plugin's GitChangeSetList (the commits since the branch's previous build), or Jenkins' empty set without a checkout. */
function changeSetJson(root: string, changeSet: Build['changeSet']): Exported {
  const { _class, items, kind } = jenkinsChangeSet(root, changeSet);
  return exported(_class, { items, kind }, { items: 2, kind: 2 });
}

export interface JobDetailsInput {
  job: Job & { upstreamProjects?: string[]; downstreamProjects?: string[]; permalinks?: Record<string, number | null> };
  summary: JobSummary;
  nextBuildNumber: number;
  firstBuild: number | null;
  queueItem: () => Promise<{ id: number } | null>;
  builds: (limit: number) => Promise<Build[]>;
  summaries: (names: string[]) => Promise<JobSummary[]>;
}

/** A job's api/json (FreeStyleProject): builds (the newest 100; allBuilds only through tree=), permalinks, parameters. */
export function jobJson(root: string, d: JobDetailsInput): Exported {
  const { job, summary } = d;
  const name = job.name;
  const ref = (n: number | null | undefined) => buildRef(root, name, n);
  const links = job.permalinks ?? {};
  const property = job.parameters.length > 0 ? [parametersProperty(job.parameters)] : [];
  const refs = (limit: number) => lazy(async () => (await d.builds(limit)).flatMap((b) => (b.number === null ? [] : [ref(b.number)!])));
  return exported(
    JOB_CLASS,
    {
      actions: [...property, exported('hudson.model.ViewAction', {})],
      description: job.description,
      displayName: name,
      displayNameOrNull: null,
      fullDisplayName: name,
      fullName: name,
      name,
      url: `${root}${jobPath(name)}`,
      buildable: !job.disabled,
      builds: refs(100),
      allBuilds: refs(100_000),
      color: colorOf(summary),
      firstBuild: ref(d.firstBuild),
      healthReport: healthReport(summary.health, summary.healthDescription),
      inQueue: summary.inQueue,
      keepDependencies: false,
      lastBuild: ref(links.lastBuild),
      lastCompletedBuild: ref(links.lastCompletedBuild),
      lastFailedBuild: ref(links.lastFailedBuild),
      lastStableBuild: ref(links.lastStableBuild),
      lastSuccessfulBuild: ref(links.lastSuccessfulBuild),
      lastUnstableBuild: ref(links.lastUnstableBuild),
      lastUnsuccessfulBuild: ref(links.lastUnsuccessfulBuild),
      nextBuildNumber: d.nextBuildNumber,
      property,
      queueItem: lazy(async () => {
        const item = await d.queueItem();
        return item ? exported('hudson.model.Queue$WaitingItem', { id: item.id, url: `queue/item/${item.id}/` }) : null;
      }),
      concurrentBuild: job.concurrentBuild,
      disabled: job.disabled,
      labelExpression: job.label === '' ? null : job.label,
      scm: exported(job.scm ? 'hudson.plugins.git.GitSCM' : 'hudson.scm.NullSCM', {}),
      upstreamProjects: lazy(async () => (await d.summaries(job.upstreamProjects ?? [])).map((s) => jobSummary(root, s))),
      downstreamProjects: lazy(async () => (await d.summaries(job.downstreamProjects ?? [])).map((s) => jobSummary(root, s))),
    },
    { color: 2, allBuilds: HIDDEN },
  );
}

export interface QueueItemInput {
  id: number;
  job: JobSummary | null;
  jobName: string;
  state: 'queued' | 'running' | 'finished' | 'cancelled';
  why: string | null;
  queuedAt: number;
  notBefore: number;
  causes: Cause[];
  parameters: Build['parameters'];
  definitions: ParameterDefinition[];
  number: number | null;
}

/** A queue item: Waiting (quiet period), Blocked, Buildable; Left once it started (`executable`) or was cancelled. */
export function queueItemJson(root: string, q: QueueItemInput): Exported {
  const left = q.state !== 'queued';
  const waiting = !left && q.notBefore > Date.now();
  const blocked = !left && !waiting && q.why !== null && /already in progress|earlier build/.test(q.why);
  const kind = left ? 'LeftItem' : waiting ? 'WaitingItem' : blocked ? 'BlockedItem' : 'BuildableItem';
  const actions = [causeAction(q.causes), ...(Object.keys(q.parameters).length > 0 ? [parametersAction(q.parameters, q.definitions)] : [])];
  const params = Object.entries(q.parameters).map(([k, v]) => `\n${k}=${q.definitions.find((d) => d.name === k)?.type === 'password' ? '****' : String(v)}`).join('');
  return exported(
    `hudson.model.Queue$${kind}`,
    {
      actions,
      blocked,
      buildable: !left && !waiting && !blocked,
      id: q.id,
      inQueueSince: q.queuedAt,
      params,
      stuck: false,
      task: exported(JOB_CLASS, { name: q.jobName, url: `${root}${jobPath(q.jobName)}`, color: q.job ? colorOf(q.job) : 'notbuilt' }, { color: 3 }),
      url: `queue/item/${q.id}/`,
      why: left ? null : q.why,
      ...(waiting ? { timestamp: q.notBefore } : {}),
      ...(!left ? { buildableStartMilliseconds: q.notBefore, pending: false } : {}),
      ...(left ? { cancelled: q.state === 'cancelled', executable: buildRef(root, q.jobName, q.number) } : {}),
    },
    ['id', 'why', 'task', 'blocked', 'buildable', 'stuck', 'inQueueSince', 'params', 'cancelled', 'executable'],
  );
}

/** The all view's name in Jenkins' API (its display name is "All"). */
export const ALL_VIEW_API_NAME = 'all';

/** A view: a list view's jobs, or the all view's. */
export function viewJson(root: string, view: Pick<View, 'name' | 'description'> & { all?: boolean }, jobs: () => Promise<JobSummary[]>): Exported {
  const name = view.all ? ALL_VIEW_API_NAME : view.name;
  return exported(view.all ? 'hudson.model.AllView' : 'hudson.model.ListView', {
    description: view.description || null,
    jobs: lazy(async () => (await jobs()).map((j) => jobSummary(root, j))),
    name,
    property: [],
    url: view.all ? root : `${root}view/${encodeURIComponent(view.name)}/`,
  });
}

export interface UserInput {
  username: string;
  fullName: string;
  email: string | null;
}

export function userJson(root: string, u: UserInput): Exported {
  return exported('hudson.model.User', {
    absoluteUrl: `${root}user/${encodeURIComponent(u.username)}`,
    description: null,
    fullName: u.fullName || u.username,
    id: u.username,
    property: [exported('jenkins.security.ApiTokenProperty', {}), exported('hudson.tasks.Mailer$UserProperty', { address: u.email })],
  }, ['id', 'fullName', 'absoluteUrl']);
}
