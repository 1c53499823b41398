/**
 * Builds awaited by a blocking trigger step (builds.awaited_by, sql/0010_awaited_builds.sql): what
 * the waiting agent may see of them and which running builds are waiting. What happens to them
 * when the build waiting for them ends first is the lifecycle's `endAwaited` effect.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { AwaitedBuilds } from '../../../shared/src/agent-protocol.ts';
import { BuildResult, BuildState } from '../../../shared/src/build.ts';
import type { BuildRow } from './build-rows.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const BusyBuildRow = z.object({ agent: z.string(), job: z.string(), number: z.number(), waiting: z.boolean() });
const AwaitedRow = z.object({ queueId: z.coerce.number(), job: z.string(), state: BuildState, number: z.number().nullable(), result: BuildResult.nullable() });

/**
 * Those of `queueIds` that `waiter` awaits, or that it triggered (a queue item in its quiet period
 * that another build's trigger merged into); others are left out: not its to watch.
 */
export async function awaitedBuilds(db: CommonQueryMethods, waiter: BuildRow, queueIds: number[]): Promise<AwaitedBuilds> {
  const triggered = sql.jsonb([{ kind: 'upstream', job: waiter.job_name, number: waiter.number }]);
  const rows = await db.any(sql.type(AwaitedRow)`
    SELECT b.id AS "queueId", j.name AS job, b.state, b.number, b.result FROM builds b JOIN jobs j ON j.id = b.job_id
    WHERE b.id = ANY(${sql.array(queueIds, 'int8')}) AND (b.awaited_by = ${waiter.id} OR b.causes @> ${triggered}) ORDER BY b.id`);
  return { builds: [...rows] };
}

/** A running build that holds an executor while waiting for downstream builds. */
export interface BusyBuild {
  agent: string;
  job: string;
  number: number;
  /** It waits for at least one downstream build that has not ended. */
  waiting: boolean;
}

/** Every running build, with whether it is waiting for downstream builds (for the queue's `why`). */
export async function busyBuilds(db: CommonQueryMethods): Promise<readonly BusyBuild[]> {
  return db.any(sql.type(BusyBuildRow)`
    SELECT b.agent_name AS agent, j.name AS job, b.number,
      EXISTS (SELECT 1 FROM builds d WHERE d.awaited_by = b.id AND d.state IN ('queued', 'running')) AS waiting
    FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.state = 'running' ORDER BY b.id`);
}
