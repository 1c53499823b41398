/** Row shapes of the builds table and the one helper that locks a build for a state change. */
import { sql, type DatabaseTransactionConnection, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';
import { BuildResult, BuildState, Cause } from '../../../shared/src/build.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { transition, type BuildEvent, type BuildStatus } from './build-transitions.ts';
import { chunkInsert } from '../console/console-store.ts';

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
});
export type BuildRow = z.infer<typeof BuildRow>;

export const BUILD_COLUMNS = sql.fragment`b.id, b.job_id, j.name AS job_name, b.number, b.state, b.result, b.causes, b.parameters,
  b.label, b.queued_at, b.not_before, b.started_at, b.finished_at, b.agent_name, b.executor, b.abort_result, b.abort_by, b.log_size`;

/** Locks one build row (FOR UPDATE) inside a transaction. */
export async function lockBuild(tx: DatabaseTransactionConnection, buildId: number): Promise<BuildRow | null> {
  return tx.maybeOne(sql.type(BuildRow)`SELECT ${BUILD_COLUMNS} FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.id = ${buildId} FOR UPDATE OF b`);
}

/** Locks a running build that was given to `agentName`: 404 unknown, 403 someone else's, 409 not running. */
export async function lockOwnedBuild(tx: DatabaseTransactionConnection, agentName: string, buildId: number): Promise<BuildRow> {
  return checkOwned(await lockBuild(tx, buildId), agentName, buildId);
}

/** 404 unknown, 403 given to another agent, 409 not running; else the row. */
export function checkOwned<R extends Pick<BuildRow, 'agent_name' | 'state'>>(row: R | null | undefined, agentName: string, buildId: number): R {
  if (!row) throw new NotFoundError(`No build ${buildId}`);
  if (row.agent_name !== agentName) throw new ForbiddenError('This build was not given to you');
  if (row.state !== 'running') throw new ConflictError(`Build ${buildId} is ${row.state}`);
  return row;
}

/** The state machine's answer for a locked row; a refused transition is a 409. */
export function decideTransition(row: BuildRow, event: BuildEvent): BuildStatus {
  const t = transition({ state: row.state, result: row.result, abortResult: row.abort_result }, event);
  if (!t.ok) throw new ConflictError(`Cannot ${event.type} build: ${t.reason}`);
  return t.next;
}

/**
 * Writes a decided status, with `extra` column assignments in the same UPDATE (the row's CHECKs
 * tie some columns to the state) and, with `append`, the console bytes the change adds at the
 * log's end (chunk and log_size in the same statement).
 */
export async function writeTransition(tx: DatabaseTransactionConnection, row: BuildRow, next: BuildStatus, opts: { extra?: FragmentSqlToken; append?: Buffer } = {}): Promise<void> {
  const { state, result, abortResult } = next;
  const append = opts.append && opts.append.length > 0 ? opts.append : undefined;
  await tx.query(sql.unsafe`
    ${append ? sql.fragment`WITH chunk AS (${chunkInsert(row.id, row.log_size, append)})` : sql.fragment``}
    UPDATE builds SET state = ${state}, result = ${result}, abort_result = ${abortResult},
      finished_at = CASE WHEN ${state} IN ('finished', 'cancelled') THEN now() ELSE finished_at END
      ${opts.extra ? sql.fragment`, ${opts.extra}` : sql.fragment``}
      ${append ? sql.fragment`, log_size = ${row.log_size + append.length}` : sql.fragment``}
    WHERE id = ${row.id}`);
}

/** Applies the state machine to a locked row and writes the new status (decideTransition, then writeTransition). */
export async function applyTransition(tx: DatabaseTransactionConnection, row: BuildRow, event: BuildEvent, extra?: FragmentSqlToken): Promise<BuildStatus> {
  const next = decideTransition(row, event);
  await writeTransition(tx, row, next, { extra });
  return next;
}
