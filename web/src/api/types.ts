/**
 * The REST API's response shapes as the UI reads them: inferred from the shared zod schemas the
 * master's documents and answers are made of (types only: web imports no code from shared).
 */
import type { Artifact } from '../../../shared/src/agent-protocol.ts';
import type { AgentWithExecutors, Build, BuildRef, Cause, ExecutorStatus, JobDetails, JobSummary, LinkedBuild, Permalinks, QueueItem, RecentChanges } from '../../../shared/src/api-responses.ts';
import type { ChangeSet, ChangeSetItem } from '../../../shared/src/scm.ts';
import type { BuildResult, BuildState } from '../../../shared/src/build.ts';
import type { Agent, User } from '../../../shared/src/identity.ts';
import type { Job } from '../../../shared/src/job.ts';
import type { View } from '../../../shared/src/view.ts';

export type { ChangeSet, ChangeSetItem, RecentChanges };
export type { Agent, AgentWithExecutors, Build, BuildRef, BuildResult, BuildState, Cause, ExecutorStatus, Job, JobDetails, JobSummary, LinkedBuild, Permalinks, QueueItem, User, View };
export type ArtifactInfo = Artifact;
