/**
 * Jonkkins' objects in Jenkins' JSON shapes (reference §3, §5.2): jobs, builds, causes,
 * parameters, queue items, nodes, views, users. Pure functions of what the services answer; URLs
 * are absolute under `root` (the public URL, ending in /), as Jenkins' `url` fields are.
 */
import type { AgentWithExecutors, Build, JobSummary } from '../../../shared/src/api-responses.ts';
import { describeCause, type BuildResult, type Cause } from '../../../shared/src/build.ts';
import type { Job, ParameterDefinition } from '../../../shared/src/job.ts';
import type { View } from '../../../shared/src/view.ts';
import { exported, HIDDEN, lazy, type Exported } from './exported.ts';
import { buildPath, jobPath } from './jenkins-http.ts';

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

const PARAMETER_DEFINITION_CLASS: Record<ParameterDefinition['type'], string> = {
  string: 'hudson.model.StringParameterDefinition',
  text: 'hudson.model.TextParameterDefinition',
  boolean: 'hudson.model.BooleanParameterDefinition',
  choice: 'hudson.model.ChoiceParameterDefinition',
  password: 'hudson.model.PasswordParameterDefinition',
  file: 'hudson.model.FileParameterDefinition',
};
const PARAMETER_VALUE_CLASS: Record<ParameterDefinition['type'], string> = {
  string: 'hudson.model.StringParameterValue',
  text: 'hudson.model.TextParameterValue',
  boolean: 'hudson.model.BooleanParameterValue',
  choice: 'hudson.model.StringParameterValue',
  password: 'hudson.model.PasswordParameterValue',
  file: 'hudson.model.FileParameterValue',
};
/** A parameter value's name and value show wherever the value does (Jenkins' visibility 3, and deeper in definitions). */
const VALUE_VISIBILITY = { value: 999 };

const JENKINS_TYPE: Record<ParameterDefinition['type'], string> = {
  string: 'StringParameterDefinition',
  text: 'TextParameterDefinition',
  boolean: 'BooleanParameterDefinition',
  choice: 'ChoiceParameterDefinition',
  password: 'PasswordParameterDefinition',
  file: 'FileParameterDefinition',
};

function defaultOf(p: ParameterDefinition): string | boolean | undefined {
  if (p.type === 'boolean') return p.default ?? false;
  if (p.type === 'choice') return p.default ?? p.choices[0];
  if (p.type === 'password' || p.type === 'file') return undefined; // never shown
  return p.default ?? '';
}

/** ParametersDefinitionProperty: what the job asks for. */
export function parametersProperty(parameters: ParameterDefinition[]): Exported {
  return exported('hudson.model.ParametersDefinitionProperty', {
    parameterDefinitions: parameters.map((p) =>
      exported(
        PARAMETER_DEFINITION_CLASS[p.type],
        {
          defaultParameterValue: exported(PARAMETER_VALUE_CLASS[p.type], { name: p.name, ...(defaultOf(p) === undefined ? {} : { value: defaultOf(p) }) }, VALUE_VISIBILITY),
          description: p.description ?? '',
          name: p.name,
          type: JENKINS_TYPE[p.type],
          ...(p.type === 'choice' ? { choices: p.choices } : {}),
        },
        { defaultParameterValue: 3, description: 3, type: 3, choices: 3 },
      ),
    ),
  }, { parameterDefinitions: 2 });
}

/** A build's parameter values (a password's value is never shown, as in Jenkins). */
export function parametersAction(values: Build['parameters'], definitions: ParameterDefinition[]): Exported {
  return exported('hudson.model.ParametersAction', {
    // In the job's order (stored values come back in jsonb's key order), then any the job no longer defines.
    parameters: [...definitions.filter((d) => Object.hasOwn(values, d.name)).map((d) => [d.name, values[d.name]!] as const), ...Object.entries(values).filter(([k]) => !definitions.some((d) => d.name === k))].map(([name, value]) => {
      const type = definitions.find((d) => d.name === name)?.type ?? 'string';
      return exported(PARAMETER_VALUE_CLASS[type], { name, ...(type === 'password' ? {} : { value: type === 'boolean' ? value === true || value === 'true' : value }) }, VALUE_VISIBILITY);
    }),
  }, { parameters: 2 });
}

/** Jenkins' cause objects: their class, shortDescription and fields. */
export function causeOf(c: Cause): Exported {
  const shortDescription = describeCause(c);
  switch (c.kind) {
    case 'user':
      return exported('hudson.model.Cause$UserIdCause', { shortDescription, userId: c.userId, userName: c.userId }, { shortDescription: 3, userId: 3, userName: 3 });
    case 'remote':
      return exported('hudson.model.Cause$RemoteCause', { shortDescription, addr: c.address, note: null }, { shortDescription: 3, addr: 3 });
    case 'timer':
      return exported('hudson.triggers.TimerTrigger$TimerTriggerCause', { shortDescription }, { shortDescription: 3 });
    case 'upstream':
      return exported(
        'hudson.model.Cause$UpstreamCause',
        { shortDescription, upstreamBuild: c.number, upstreamProject: c.job, upstreamUrl: jobPath(c.job) },
        { shortDescription: 3, upstreamBuild: 3, upstreamProject: 3, upstreamUrl: 3 },
      );
    default:
      return exported('hudson.model.Cause', { shortDescription }, { shortDescription: 3 });
  }
}

export function causeAction(causes: Cause[]): Exported {
  return exported('hudson.model.CauseAction', { causes: causes.map(causeOf) }, { causes: 2 });
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
      changeSet: exported('hudson.scm.EmptyChangeLogSet', { items: [], kind: null }, { items: 2, kind: 2 }),
      culprits: [],
      inProgress: b.state !== 'finished',
    },
    ['number'],
  );
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

/** Jenkins' Computer for an agent, its executors with what they run. */
export function computerJson(root: string, a: AgentWithExecutors): Exported {
  const executors = a.executorStatus.map((e) =>
    exported('hudson.model.Executor', {
      currentExecutable: e.idle ? null : buildRef(root, e.job, e.build),
      idle: e.idle,
      likelyStuck: false,
      number: e.number,
      progress: e.idle || !e.estimatedDurationMs ? -1 : Math.min(99, Math.floor(((Date.now() - Date.parse(e.startedAt)) * 100) / e.estimatedDurationMs)),
    }),
  );
  return exported(
    'hudson.slaves.SlaveComputer',
    {
      actions: [],
      assignedLabels: [a.name, ...a.labels].map((name) => exported('hudson.model.labels.LabelAtom', { name })),
      description: a.description,
      displayName: a.name,
      executors,
      icon: a.online ? 'symbol-computer' : 'symbol-computer-x',
      iconClassName: a.online ? 'icon-computer' : 'icon-computer-x',
      idle: a.executorStatus.every((e) => e.idle),
      jnlpAgent: true,
      launchSupported: false,
      manualLaunchAllowed: false,
      monitorData: {},
      numExecutors: a.executors,
      offline: !a.online,
      offlineCause: null,
      offlineCauseReason: '',
      oneOffExecutors: [],
      temporarilyOffline: false,
      url: `${root}computer/${encodeURIComponent(a.name)}/`,
    },
    ['displayName', 'offline', 'numExecutors', 'idle'],
  );
}

/** The built-in node: Jonkkins' master runs no builds (0 executors), but Jenkins clients expect it. */
export function builtInComputer(root: string): Exported {
  return exported(
    'hudson.model.Hudson$MasterComputer',
    {
      actions: [],
      assignedLabels: [exported('hudson.model.labels.LabelAtom', { name: 'built-in' })],
      description: 'the Jonkkins master (runs no builds: agents do)',
      displayName: 'Built-In Node',
      executors: [],
      icon: 'symbol-computer',
      iconClassName: 'icon-computer',
      idle: true,
      jnlpAgent: false,
      launchSupported: true,
      manualLaunchAllowed: true,
      monitorData: {},
      numExecutors: 0,
      offline: false,
      offlineCause: null,
      offlineCauseReason: '',
      oneOffExecutors: [],
      temporarilyOffline: false,
      url: `${root}computer/(built-in)/`,
    },
    ['displayName', 'offline', 'numExecutors', 'idle'],
  );
}

export function computerSetJson(root: string, agents: AgentWithExecutors[]): Exported {
  const all = agents.flatMap((a) => a.executorStatus);
  return exported('hudson.model.ComputerSet', {
    busyExecutors: all.filter((e) => !e.idle).length,
    computer: [builtInComputer(root), ...agents.map((a) => computerJson(root, a))],
    displayName: 'Nodes',
    totalExecutors: all.length,
  });
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
