/**
 * Jenkins' "Discard old builds": keeps the newest `numToKeep` builds and those younger than
 * `daysToKeep`; never the last successful build or an unfinished one. Consoles go with their build,
 * and `artifacts` (the ArtifactsService) removes their artifact files.
 */
import type { DatabasePool } from 'slonik';
import type { Job } from '../../../shared/src/job.ts';
import { deleteDiscarded } from './build-rows.ts';

/** What the discarder needs of the ArtifactsService. */
export interface ArtifactFiles {
  removeBuilds(jobId: number, buildIds: readonly number[]): Promise<void>;
}

/** `job`: the job's config, as the build that just ended read it; `now`: the master's clock. */
export async function discardOldBuilds(pool: DatabasePool, jobId: number, artifacts: ArtifactFiles, job: Job, now: number): Promise<number> {
  const rule = job.buildDiscarder;
  if (!rule || (rule.numToKeep === undefined && rule.daysToKeep === undefined)) return 0;
  const gone = await deleteDiscarded(pool, jobId, rule, now);
  if (gone.length > 0) await artifacts.removeBuilds(jobId, gone);
  return gone.length;
}
