/**
 * Jenkins' "Discard old builds": keeps the newest `numToKeep` builds and those younger than
 * `daysToKeep`; never the last successful build or an unfinished one. Consoles go with their build,
 * and `artifacts` (the ArtifactsService) removes their artifact files.
 */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { Job } from '../../../shared/src/job.ts';

/** What the discarder needs of the ArtifactsService. */
export interface ArtifactFiles {
  removeBuilds(jobId: number, buildIds: readonly number[]): Promise<void>;
}

/** `job`: the job's config when the caller has it (saves reading it again). */
export async function discardOldBuilds(pool: DatabasePool, jobId: number, artifacts: ArtifactFiles, job?: Job): Promise<number> {
  if (!job) {
    const config = await pool.maybeOneFirst(sql.type(z.object({ config: z.unknown() }))`SELECT config FROM jobs WHERE id = ${jobId}`);
    if (config === null) return 0;
    job = Job.parse(config);
  }
  const rule = job.buildDiscarder;
  if (!rule || (rule.numToKeep === undefined && rule.daysToKeep === undefined)) return 0;
  const gone = await pool.anyFirst(sql.type(z.object({ id: z.coerce.number() }))`
    DELETE FROM builds b
    WHERE b.job_id = ${jobId} AND b.state = 'finished'
      AND b.id IS DISTINCT FROM (SELECT id FROM builds WHERE job_id = ${jobId} AND result = 'SUCCESS' ORDER BY number DESC LIMIT 1)
      AND (
        (${rule.numToKeep ?? null}::int IS NOT NULL AND b.number <= coalesce((
          SELECT number FROM builds WHERE job_id = ${jobId} AND number IS NOT NULL ORDER BY number DESC OFFSET ${rule.numToKeep ?? 0} LIMIT 1), 0))
        OR (${rule.daysToKeep ?? null}::int IS NOT NULL AND b.finished_at < now() - make_interval(days => ${rule.daysToKeep ?? 0}))
      )
    RETURNING b.id`);
  if (gone.length > 0) await artifacts.removeBuilds(jobId, gone);
  return gone.length;
}
