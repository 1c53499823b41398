/**
 * The REST API's response shapes that are not a stored document (jobs and views are job.ts and
 * view.ts): one zod schema each, which the OpenAPI document shows and from which the UI's types
 * are inferred (web/src/api/types.ts), so the UI cannot drift from what the master sends.
 */
import { z } from 'zod';
import { Artifact } from './agent-protocol.ts';
import { BuildResult, BuildState } from './build.ts';
import { Agent } from './identity.ts';
import { Job } from './job.ts';
import { ChangeSet } from './scm.ts';

/** A build's checked-out commit. */
export const ScmRevision = z.object({ commit: z.string(), branch: z.string(), url: z.string() });
export type ScmRevision = z.infer<typeof ScmRevision>;

/** A build as a job's summary names it (last build, last success, last failure). */
export const BuildRef = z.object({ number: z.number(), result: BuildResult.nullable(), startedAt: z.string().nullable(), durationMs: z.number().nullable() });
export type BuildRef = z.infer<typeof BuildRef>;

/** One row of GET /api/jobs. */
export const JobSummary = z.object({
  name: z.string(),
  description: z.string(),
  disabled: z.boolean(),
  parameterized: z.boolean(),
  /** The last completed build's result; NOT_BUILT without builds, 'disabled' for a disabled job, null while its first build runs. */
  status: z.union([BuildResult, z.literal('disabled')]).nullable(),
  building: z.boolean(),
  inQueue: z.boolean(),
  lastBuild: BuildRef.nullable(),
  lastSuccessfulBuild: BuildRef.nullable(),
  lastFailedBuild: BuildRef.nullable(),
  lastDurationMs: z.number().nullable(),
  /** 0–100: Jenkins' build stability over the last up to 5 conclusive builds; null without one. */
  health: z.number().nullable(),
  /** "Build stability: 1 out of the last 3 builds failed." */
  healthDescription: z.string().nullable(),
});
export type JobSummary = z.infer<typeof JobSummary>;

/** Jenkins' permalinks of a job: the build number each names, or null where no build qualifies. */
export const Permalinks = z.record(
  z.enum(['lastBuild', 'lastCompletedBuild', 'lastSuccessfulBuild', 'lastStableBuild', 'lastUnstableBuild', 'lastFailedBuild', 'lastUnsuccessfulBuild']),
  z.number().nullable(),
);
export type Permalinks = z.infer<typeof Permalinks>;

/** GET /api/jobs/:name: the job with its upstream and downstream projects and its permalinks. */
export const JobDetails = z.intersection(
  Job,
  z.object({
    /** Jobs that trigger this one: their triggerBuilds / buildOtherProjects publishers or trigger steps name it, or its triggers.upstream names them. */
    upstreamProjects: z.array(z.string()).optional(),
    /** Jobs this one triggers, by the same relations the other way round. */
    downstreamProjects: z.array(z.string()).optional(),
    permalinks: Permalinks.optional(),
  }),
);
export type JobDetails = z.infer<typeof JobDetails>;

export const Cause = z.object({ kind: z.string(), description: z.string(), job: z.string().optional(), number: z.number().optional() });
export type Cause = z.infer<typeof Cause>;

/** An upstream or downstream build of a build. */
export const LinkedBuild = z.object({ job: z.string(), number: z.number().nullable(), queueId: z.number().optional(), result: BuildResult.nullable().optional() });
export type LinkedBuild = z.infer<typeof LinkedBuild>;

/** An image a dockerBuild step of a build pushed. */
export const DockerImage = z.object({
  /** The step's index in the job's steps. */
  step: z.number(),
  /** Registry host (if any) and repository, without a tag. */
  image: z.string(),
  tags: z.array(z.string()),
  /** The manifest digest the registry stored (sha256:…). */
  digest: z.string(),
  /** `image@digest`: what pulls exactly this image. */
  reference: z.string(),
  pushedAt: z.string(),
});
export type DockerImage = z.infer<typeof DockerImage>;

export const Build = z.object({
  number: z.number().nullable(),
  queueId: z.number(),
  job: z.string(),
  result: BuildResult.nullable(),
  building: z.boolean(),
  state: BuildState,
  causes: z.array(Cause),
  /** Values as given (a boolean parameter's is a boolean); a password's is ****. */
  parameters: z.record(z.string(), z.union([z.string(), z.boolean()])),
  agent: z.string().nullable(),
  executor: z.number().nullable(),
  queuedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  estimatedDurationMs: z.number().nullable(),
  abortedBy: z.string().nullable(),
  logSize: z.number(),
  upstream: z.array(LinkedBuild).optional(),
  downstream: z.array(LinkedBuild).optional(),
  artifacts: z.array(Artifact).optional(),
  /** What the build checked out from git (GIT_COMMIT, GIT_BRANCH, GIT_URL); null without a checkout. */
  revision: ScmRevision.nullable().optional(),
  /** The commits since this branch's previous build (Jenkins' changeSet, kind git); null without a checkout. */
  changeSet: ChangeSet.nullable().optional(),
  /** Images its dockerBuild steps pushed (GET of one build). */
  dockerImages: z.array(DockerImage).optional(),
});
export type Build = z.infer<typeof Build>;

/** GET /api/jobs/:name/changes: Recent Changes, newest build first. */
export const RecentChanges = z.object({
  builds: z.array(z.object({ number: z.number(), result: BuildResult.nullable(), revision: ScmRevision, changeSet: ChangeSet })),
});
export type RecentChanges = z.infer<typeof RecentChanges>;

/** One item of GET /api/queue, with Jenkins' "why". */
export const QueueItem = z.object({
  id: z.number(),
  job: z.string(),
  queuedAt: z.string(),
  why: z.string(),
  causes: z.array(z.string()),
  parameters: z.record(z.string(), z.union([z.string(), z.boolean()])),
});
export type QueueItem = z.infer<typeof QueueItem>;

export const ExecutorStatus = z.discriminatedUnion('idle', [
  z.object({ number: z.number(), idle: z.literal(true) }),
  z.object({ number: z.number(), idle: z.literal(false), job: z.string(), build: z.number(), startedAt: z.string(), estimatedDurationMs: z.number().nullable() }),
]);
export type ExecutorStatus = z.infer<typeof ExecutorStatus>;

/** One row of GET /api/agents: the agent and what each of its executors does. */
export const AgentWithExecutors = Agent.extend({ executorStatus: z.array(ExecutorStatus) });
export type AgentWithExecutors = z.infer<typeof AgentWithExecutors>;
