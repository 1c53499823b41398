/** The REST API's response shapes as the UI reads them (the master's JSON; see README's API tables). */
import type { BuildResult, BuildState } from '../../../shared/src/build.ts';
import type { Agent, User } from '../../../shared/src/identity.ts';
import type { Job } from '../../../shared/src/job.ts';

export type { Agent, BuildResult, Job, User };

export interface BuildRef {
  number: number;
  result: BuildResult | null;
  startedAt: string | null;
  durationMs: number | null;
}

/** One row of GET /api/jobs. */
export interface JobSummary {
  name: string;
  description: string;
  disabled: boolean;
  parameterized: boolean;
  /** The last completed build's result, or null (never built). */
  status: BuildResult | null;
  building: boolean;
  inQueue: boolean;
  lastBuild: BuildRef | null;
  lastSuccessfulBuild: BuildRef | null;
  lastFailedBuild: BuildRef | null;
  lastDurationMs: number | null;
  /** 0–100: Jenkins' build stability over the last up to 5 conclusive builds; null without one. */
  health: number | null;
  /** "Build stability: 1 out of the last 3 builds failed." */
  healthDescription: string | null;
}

export interface Cause {
  kind: string;
  description: string;
  job?: string;
  number?: number;
}

export interface LinkedBuild {
  job: string;
  number: number | null;
  queueId?: number;
  result?: BuildResult | null;
}

export interface ArtifactInfo {
  path: string;
  size: number;
  sha256: string;
}

export interface Build {
  number: number | null;
  queueId: number;
  job: string;
  result: BuildResult | null;
  building: boolean;
  state: BuildState;
  causes: Cause[];
  parameters: Record<string, string>;
  agent: string | null;
  executor: number | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  estimatedDurationMs: number | null;
  abortedBy: string | null;
  logSize: number;
  upstream?: LinkedBuild[];
  downstream?: LinkedBuild[];
  artifacts?: ArtifactInfo[];
}

export interface QueueItem {
  id: number;
  job: string;
  queuedAt: string;
  why: string;
  causes: string[];
  parameters: Record<string, string>;
}

export type ExecutorStatus =
  | { number: number; idle: true }
  | { number: number; idle: false; job: string; build: number; startedAt: string; estimatedDurationMs: number | null };

export type AgentWithExecutors = Agent & { executorStatus: ExecutorStatus[] };

export interface View {
  name: string;
  description: string;
  jobs: string[];
  includeRegex: string | null;
}

/** Jenkins' permalinks of a job: the build number each names, or null where no build qualifies. */
export type Permalinks = Record<'lastBuild' | 'lastCompletedBuild' | 'lastSuccessfulBuild' | 'lastStableBuild' | 'lastUnstableBuild' | 'lastFailedBuild' | 'lastUnsuccessfulBuild', number | null>;

export interface JobDetails extends Job {
  upstreamProjects?: string[];
  downstreamProjects?: string[];
  permalinks?: Permalinks;
}
