/**
 * Run parameters (Jenkins' RunParameterDefinition): a build of another job, `job#number`. A trigger
 * that gives none gets the job's last build that passes the parameter's filter (here); the build's
 * environment names it as Jenkins does (build-env.ts runParameterEnvironment).
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { ParameterDefinition, RunFilter } from '../../../shared/src/job.ts';
import type { ParameterValues } from './parameters.ts';

const FILTERS: Record<RunFilter, ReturnType<typeof sql.fragment>> = {
  ALL: sql.fragment`true`,
  COMPLETED: sql.fragment`b.state = 'finished'`,
  SUCCESSFUL: sql.fragment`b.result IN ('SUCCESS', 'UNSTABLE')`,
  STABLE: sql.fragment`b.result = 'SUCCESS'`,
};

/** Fills each run parameter left empty with `job#number` of its default build (left empty when there is none). */
export async function defaultRuns(tx: CommonQueryMethods, definitions: ParameterDefinition[], values: ParameterValues): Promise<void> {
  for (const def of definitions) {
    if (def.type !== 'run' || values[def.name] !== '') continue;
    const last = await tx.maybeOne(sql.type(z.object({ name: z.string(), number: z.number() }))`
      SELECT j.name, b.number FROM builds b JOIN jobs j ON j.id = b.job_id
      WHERE lower(j.name) = lower(${def.projectName}) AND b.number IS NOT NULL AND ${FILTERS[def.filter]}
      ORDER BY b.number DESC LIMIT 1`);
    if (last) values[def.name] = `${last.name}#${last.number}`;
  }
}
