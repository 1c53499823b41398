/**
 * Row shapes of the builds table and its writes: every statement that changes a builds row is in
 * this file (test/architecture/table-owners.test.ts keeps it so); lifecycle.ts decides state changes.
 */
import { sql, type CommonQueryMethods, type DatabaseTransactionConnection, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';
import { BuildResult, BuildState, Cause } from '../../../shared/src/build.ts';
import { Job } from '../../../shared/src/job.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { transition, type BuildStatus } from './build-transitions.ts';
import type { RawClient } from '../db/raw-pool.ts';
import { chunkInsert } from '../console/console-store.ts';
import { sqlTime } from '../clock.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const IdRow = z.object({ id: z.coerce.number() });
export const BuildRow = z.object({
  id: z.coerce.number(),
  job_id: z.coerce.number(),
  job_name: z.string(),
  number: z.number().nullable(),
  state: BuildState,
  result: BuildResult.nullable(),
  causes: z.array(Cause),
  parameters: z.record(z.string(), z.union([z.string(), z.boolean()])),
  label: z.string(),
  queued_at: z.number(),
  not_before: z.number(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  agent_name: z.string().nullable(),
  executor: z.number().nullable(),
  abort_result: z.enum(['ABORTED', 'FAILURE']).nullable(),
  abort_by: z.string().nullable(),
  log_size: z.coerce.number(),
  /** The agent session that started it (sql/0014_agent_sessions.sql). */
  agent_session: z.string().nullable(),
});
export type BuildRow = z.infer<typeof BuildRow>;

export const BUILD_COLUMNS = sql.fragment`b.id, b.job_id, j.name AS job_name, b.number, b.state, b.result, b.causes, b.parameters,
  b.label, b.queued_at, b.not_before, b.started_at, b.finished_at, b.agent_name, b.executor, b.abort_result, b.abort_by, b.log_size, b.agent_session`;

/**
 * An agent's labels as they count for matching: an admin's, then the ones the agent probed for
 * itself (agents.probed_labels, sql/0021_docker_images.sql) that the admin's lack, as one SQL
 * expression over the agents row aliased `alias`.
 */
export function effectiveLabels(alias: string): FragmentSqlToken {
  const a = sql.identifier([alias]);
  return sql.fragment`(${a}.labels || ARRAY(SELECT l FROM unnest(${a}.probed_labels) l WHERE l <> ALL (${a}.labels)))`;
}

/** Locks one build row (FOR UPDATE) inside a transaction. */
export async function lockBuild(tx: DatabaseTransactionConnection, buildId: number): Promise<BuildRow | null> {
  return tx.maybeOne(sql.type(BuildRow)`SELECT ${BUILD_COLUMNS} FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.id = ${buildId} FOR UPDATE OF b`);
}

/** The agent asking: its name and the session of its token (a build belongs to one session). */
export interface AgentRef {
  name: string;
  session: string;
}

/** Whether the build was given to this agent session (a build from before sessions: to the name). */
export function ownedBy(row: Pick<BuildRow, 'agent_name' | 'agent_session'>, agent: AgentRef): boolean {
  return row.agent_name === agent.name && (row.agent_session === null || row.agent_session === agent.session);
}

/** Locks a running build that was given to this agent session: 404 unknown, 403 someone else's, 409 not running. */
export async function lockOwnedBuild(tx: DatabaseTransactionConnection, agent: AgentRef, buildId: number): Promise<BuildRow> {
  return checkOwned(await lockBuild(tx, buildId), agent, buildId);
}

/** 404 unknown, 403 given to another agent or session, 409 not running; else the row. */
export function checkOwned<R extends Pick<BuildRow, 'agent_name' | 'agent_session' | 'state'>>(row: R | null | undefined, agent: AgentRef, buildId: number): R {
  if (!row) throw new NotFoundError(`No build ${buildId}`);
  if (!ownedBy(row, agent)) throw new ForbiddenError('This build was not given to you');
  if (row.state !== 'running') throw new ConflictError(`Build ${buildId} is ${row.state}`);
  return row;
}

/** A row's status as the state machine sees it. */
export const statusOf = (row: BuildRow): BuildStatus => ({ state: row.state, result: row.result, abortResult: row.abort_result, abortBy: row.abort_by });

/** A build row locked for a state change, with its job's config (post-build actions, discarder, concurrency). */
export interface LockedBuild {
  row: BuildRow;
  job: Job;
}

const WithConfig = BuildRow.extend({ job_config: z.unknown() });

/** Locks one build row (FOR UPDATE) and reads its job's config in the same statement; null: no such build. */
export async function lockWithJob(tx: DatabaseTransactionConnection, buildId: number): Promise<LockedBuild | null> {
  const r = await tx.maybeOne(sql.type(WithConfig)`SELECT ${BUILD_COLUMNS}, j.config AS job_config FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.id = ${buildId} FOR UPDATE OF b`);
  if (!r) return null;
  const { job_config, ...row } = r;
  return { row, job: Job.parse(job_config) };
}

/**
 * Writes a decided status, with `extra` column assignments in the same UPDATE (the row's CHECKs
 * tie some columns to the state) and, with `append`, the console bytes the change adds at the
 * log's end (chunk and log_size in the same statement).
 */
export async function writeTransition(tx: DatabaseTransactionConnection, row: BuildRow, next: BuildStatus, now: number, opts: { extra?: FragmentSqlToken; append?: Buffer } = {}): Promise<void> {
  const { state, result, abortResult, abortBy } = next;
  const append = opts.append && opts.append.length > 0 ? opts.append : undefined;
  await tx.query(sql.unsafe`
    ${append ? sql.fragment`WITH chunk AS (${chunkInsert(row.id, row.log_size, append)})` : sql.fragment``}
    UPDATE builds SET state = ${state}, result = ${result}, abort_result = ${abortResult}, abort_by = ${abortBy},
      finished_at = CASE WHEN ${state} IN ('finished', 'cancelled') THEN ${sqlTime(now)} ELSE finished_at END
      ${opts.extra ? sql.fragment`, ${opts.extra}` : sql.fragment``}
      ${append ? sql.fragment`, log_size = ${row.log_size + append.length}` : sql.fragment``}
    WHERE id = ${row.id}`);
}

/** A new queue item (the `queue` transition's state), queued at `now`; returns its id, the queue id. */
export async function insertQueued(db: CommonQueryMethods, now: number, q: { jobId: number; cause: Cause; parameters: Record<string, unknown>; label: string; quietPeriod: number }): Promise<number> {
  const { state } = queuedStatus();
  return db.oneFirst(sql.type(IdRow)`
    INSERT INTO builds (job_id, state, causes, parameters, label, queued_at, not_before)
    VALUES (${q.jobId}, ${state}, ${sql.jsonb([q.cause])}, ${sql.jsonb(q.parameters as never)}, ${q.label}, ${sqlTime(now)}, ${sqlTime(now + q.quietPeriod * 1000)})
    RETURNING id`);
}

function queuedStatus(): BuildStatus {
  const t = transition(null, { type: 'queue' });
  if (!t.ok) throw new Error(t.reason);
  return t.next;
}

/** Another trigger folded into a queue item in its quiet period: one more cause. */
export async function addCause(tx: CommonQueryMethods, buildId: number, cause: Cause): Promise<void> {
  await tx.query(sql.unsafe`UPDATE builds SET causes = causes || ${sql.jsonb([cause])} WHERE id = ${buildId}`);
}

/** A build queued by a blocking trigger step is awaited by that step's build (the first to ask keeps it). */
export async function markAwaited(tx: CommonQueryMethods, buildId: number, by: number): Promise<void> {
  await tx.query(sql.unsafe`UPDATE builds SET awaited_by = coalesce(awaited_by, ${by}) WHERE id = ${buildId}`);
}

/** A heartbeat at `now`: the session's running builds are alive (another session's are not). */
export async function refreshSession(db: CommonQueryMethods, agent: AgentRef, now: number): Promise<void> {
  await db.query(sql.unsafe`UPDATE builds SET agent_seen_at = ${sqlTime(now)} WHERE agent_name = ${agent.name} AND state = 'running'
    AND (agent_session IS NULL OR agent_session = ${agent.session}::uuid)`);
}

/**
 * The agent was heard from about a build (row locked): stores the console size. Answers whether
 * an abort is pending, and whether the timeout passed without one (the caller applies `timeout`).
 */
export async function touchBuild(client: RawClient, buildId: number, logSize: number, now: number): Promise<{ aborting: boolean; timedOut: boolean }> {
  const r = await client.query<{ aborting: boolean; timed_out: boolean | null }>(
    `UPDATE builds SET agent_seen_at = to_timestamp($3::float8 / 1000), log_size = $2 WHERE id = $1
     RETURNING abort_result IS NOT NULL AS aborting, timeout_at < to_timestamp($3::float8 / 1000) AS timed_out`,
    [buildId, logSize, now]);
  const row = r.rows[0]!;
  return { aborting: row.aborting, timedOut: row.timed_out === true };
}

/**
 * The build discarder's delete (discarder.ts decides when): finished builds past `numToKeep` or
 * older than `daysToKeep`, never the last successful one. Returns the ids deleted.
 */
export async function deleteDiscarded(db: CommonQueryMethods, jobId: number, rule: { numToKeep?: number | undefined; daysToKeep?: number | undefined }, now: number): Promise<readonly number[]> {
  return db.anyFirst(sql.type(IdRow)`
    DELETE FROM builds b
    WHERE b.job_id = ${jobId} AND b.state = 'finished'
      AND b.id IS DISTINCT FROM (SELECT id FROM builds WHERE job_id = ${jobId} AND result = 'SUCCESS' ORDER BY number DESC LIMIT 1)
      AND (
        (${rule.numToKeep ?? null}::int IS NOT NULL AND b.number <= coalesce((
          SELECT number FROM builds WHERE job_id = ${jobId} AND number IS NOT NULL ORDER BY number DESC OFFSET ${rule.numToKeep ?? 0} LIMIT 1), 0))
        OR (${rule.daysToKeep ?? null}::int IS NOT NULL AND b.finished_at < ${sqlTime(now)} - make_interval(days => ${rule.daysToKeep ?? 0}))
      )
    RETURNING b.id`);
}
