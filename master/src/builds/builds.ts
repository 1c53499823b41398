/** The builds service for people: trigger, queue, history, abort. Agents use agent-builds.ts. */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { Build } from '../../../shared/src/api-responses.ts';
import { describeCause, describeCauses, type Cause } from '../../../shared/src/build.ts';
import { NotFoundError } from '../errors.ts';
import type { JobsService } from '../jobs/jobs.ts';
import { BUILD_COLUMNS, BuildRow, effectiveLabels } from './build-rows.ts';
import { busyBuilds } from './awaited.ts';
import { estimatedDurationMs } from './estimates.ts';
import { PERMALINKS } from '../jobs/permalinks.ts';
import { executorWhy, QueueAgent } from './queue-why.ts';
import { settle, type BuildLifecycle } from './lifecycle.ts';
import type { BuildQueueing } from './queueing.ts';
import { SecretBox } from '../secret-box.ts';
import type { UploadedFile } from './uploads.ts';
import { buildCheckout, recentChanges } from '../scm/checkouts.ts';
import { sqlTime, type Clock } from '../clock.ts';


// Row schemas are built once: zod compiles each new schema on its first parse.
const NRow = z.object({ n: z.number().nullable() });
/** agents.ts' online window (agents/ imports builds/, so it is not imported from there). */
const AGENT_ONLINE_MS = 30_000;

// Row schemas are built once: zod compiles each new schema on its first parse.
const QueuedBuildRow = z.object({ job: z.string(), number: z.number().nullable(), queueId: z.coerce.number() });
const JobIdNumberRow = z.object({ job_id: z.coerce.number(), number: z.number() });
export class BuildsService {
  readonly #pool: DatabasePool;
  readonly #jobs: JobsService;
  readonly #queueing: BuildQueueing;
  readonly #lifecycle: BuildLifecycle;
  readonly #now: Clock;
  constructor(deps: { pool: DatabasePool; jobs: JobsService; queueing: BuildQueueing; lifecycle: BuildLifecycle; now: Clock }) {
    this.#pool = deps.pool;
    this.#jobs = deps.jobs;
    this.#queueing = deps.queueing;
    this.#lifecycle = deps.lifecycle;
    this.#now = deps.now;
  }

  /**
   * Queues a build; returns its queue id. Parameters are checked against the job's definitions;
   * `files` are the uploads for its file parameters (stored with the build, in one transaction);
   * `quietPeriod` (seconds) replaces the job's (a timer trigger uses 0, as in Jenkins).
   */
  async trigger(jobName: string, given: Record<string, unknown>, cause: Cause, files: UploadedFile[] = [], opts: { quietPeriod?: number } = {}): Promise<number> {
    return (await this.triggerItem(jobName, given, cause, files, opts)).queueId;
  }

  /** As trigger, and whether it folded into an identical item waiting in its quiet period. */
  async triggerItem(jobName: string, given: Record<string, unknown>, cause: Cause, files: UploadedFile[] = [], opts: { quietPeriod?: number } = {}): Promise<{ queueId: number; merged: boolean }> {
    const stored = await this.#jobs.find(jobName);
    // No quiet period to merge into: queueing is one statement (or, with files, its own
    // transaction), so no transaction around it — two round trips fewer on every trigger.
    const quietPeriod = opts.quietPeriod ?? stored.job.quietPeriod;
    const merges = quietPeriod > 0 && files.length === 0;
    const { id, merged } = merges
      ? await this.#pool.transaction((tx) => this.#queueing.enqueue(tx, stored, given, cause, files, opts))
      : await this.#queueing.enqueue(this.#pool, stored, given, cause, files, opts);
    await settle(this.#lifecycle.queued(stored, id, quietPeriod));
    return { queueId: id, merged };
  }

  /** Cancels a queued item (it never gets a number). */
  async cancelQueued(queueId: number): Promise<void> {
    await this.#lifecycle.change(queueId, { type: 'cancel' }, (_tx, { row }) => {
      if (row.state !== 'queued') throw new NotFoundError(`No queue item ${queueId}`);
      return true;
    });
  }

  /** Aborts a running build (the agent stops it within a second), or cancels a queued one. */
  async abort(jobName: string, ref: string, by: string): Promise<void> {
    const build = await this.#resolve(jobName, ref);
    await this.#lifecycle.change(build.id, { type: 'abort', by });
  }

  /** One build, with the builds it triggered (downstream); its upstream is in its causes. */
  async get(jobName: string, ref: string) {
    const row = await this.#resolve(jobName, ref);
    const downstream =
      row.number === null
        ? []
        : await this.#pool.any(sql.type(QueuedBuildRow)`
            SELECT j.name AS job, b.number, b.id AS "queueId" FROM builds b JOIN jobs j ON j.id = b.job_id
            WHERE b.causes @> ${sql.jsonb([{ kind: 'upstream', job: row.job_name, number: row.number }])} ORDER BY b.id`);
    const upstream = row.causes.flatMap((c) => (c.kind === 'upstream' ? [{ job: c.job, number: c.number }] : []));
    const checkout = await buildCheckout(this.#pool, row.id);
    return { ...(await this.#present(row)), upstream, downstream, revision: checkout?.revision ?? null, changeSet: checkout?.changeSet ?? null };
  }

  /** Recent Changes: the change sets of the job's latest `limit` builds that checked out. */
  async recentChanges(jobName: string, limit: number) {
    const { id } = await this.#jobs.find(jobName);
    return recentChanges(this.#pool, id, limit);
  }

  /** Newest first; `before` pages back by build number. */
  async list(jobName: string, limit: number, before: number | undefined) {
    const { id } = await this.#jobs.find(jobName);
    const rows = await this.#pool.any(sql.type(BuildRow)`
      SELECT ${BUILD_COLUMNS} FROM builds b JOIN jobs j ON j.id = b.job_id
      WHERE b.job_id = ${id} AND b.number IS NOT NULL AND (${before ?? null}::int IS NULL OR b.number < ${before ?? null}::int)
      ORDER BY b.number DESC LIMIT ${limit}`);
    // One job: one estimate for the page, not one query per build.
    const estimate = rows.length > 0 ? await estimatedDurationMs(this.#pool, id) : null;
    return rows.map((r) => presentBuild(r, estimate));
  }

  /** A queue item's (or build's) row by its queue id. */
  async rowById(queueId: number): Promise<BuildRow> {
    const row = await this.#pool.maybeOne(sql.type(BuildRow)`SELECT ${BUILD_COLUMNS} FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.id = ${queueId}`);
    if (!row) throw new NotFoundError(`No queue item ${queueId}`);
    return row;
  }

  /** The oldest build's number still kept (Jenkins' firstBuild), or null. */
  async firstNumber(jobName: string): Promise<number | null> {
    const { id } = await this.#jobs.find(jobName);
    return this.#pool.oneFirst(sql.type(NRow)`SELECT min(number) AS n FROM builds WHERE job_id = ${id}`);
  }

  /** The build row behind a number or a permalink name. */
  async resolveRow(jobName: string, ref: string): Promise<BuildRow> {
    return this.#resolve(jobName, ref);
  }

  async #resolve(jobName: string, ref: string): Promise<BuildRow> {
    const { id } = await this.#jobs.find(jobName);
    const filter = /^\d{1,9}$/.test(ref) ? sql.fragment`b.number = ${Number(ref)}` : PERMALINKS.get(ref);
    if (!filter) throw new NotFoundError(`No build '${ref}' of '${jobName}' (use a number or a permalink such as lastBuild)`);
    const row = await this.#pool.maybeOne(sql.type(BuildRow)`
      SELECT ${BUILD_COLUMNS} FROM builds b JOIN jobs j ON j.id = b.job_id
      WHERE b.job_id = ${id} AND ${filter} ORDER BY b.number DESC NULLS LAST LIMIT 1`);
    if (!row) throw new NotFoundError(`No build '${ref}' of '${jobName}'`);
    return row;
  }

  async #present(row: BuildRow) {
    return presentBuild(row, await estimatedDurationMs(this.#pool, row.job_id));
  }

  /** The queue, oldest first, each item with Jenkins' `why`. */
  async queue() {
    const now = this.#now();
    const rows = await this.#pool.any(sql.type(BuildRow)`
      SELECT ${BUILD_COLUMNS} FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.state = 'queued' ORDER BY b.id`);
    const agents = await this.#pool.any(sql.type(QueueAgent)`
      SELECT name, ${effectiveLabels('agents')} AS labels, executors, coalesce(last_seen_at > ${sqlTime(now - AGENT_ONLINE_MS)}, false) AS online FROM agents`);
    const busy = await busyBuilds(this.#pool);
    const running = await this.#pool.any(sql.type(JobIdNumberRow)`
      SELECT job_id, max(number) AS number FROM builds WHERE state = 'running' GROUP BY job_id`);
    const runningByJob = new Map(running.map((r) => [r.job_id, r.number]));
    const concurrent = new Map<number, boolean>();
    for (const row of rows) {
      if (!concurrent.has(row.job_id)) concurrent.set(row.job_id, (await this.#jobs.find(row.job_name)).job.concurrentBuild);
    }
    const firstQueued = new Map<number, number>();
    for (const row of rows) if (!firstQueued.has(row.job_id)) firstQueued.set(row.job_id, row.id);
    return rows.map((row) => {
      let why: string;
      const inProgress = runningByJob.get(row.job_id);
      if (row.not_before > now) why = `In the quiet period. Expires in ${Math.ceil((row.not_before - now) / 1000)} s`;
      else if (!concurrent.get(row.job_id) && inProgress !== undefined) why = `Build #${inProgress} is already in progress`;
      else if (!concurrent.get(row.job_id) && firstQueued.get(row.job_id) !== row.id) why = 'Waiting for an earlier build of this job to start';
      else why = executorWhy(row.label, agents, busy);
      return { id: row.id, job: row.job_name, queuedAt: new Date(row.queued_at).toISOString(), why, causes: describeCauses(row.causes), parameters: visibleParameters(row) };
    });
  }

  /** One queue item; once it left the queue, its build number (or that it was cancelled). */
  async queueItem(queueId: number) {
    const row = await this.#pool.maybeOne(sql.type(BuildRow)`SELECT ${BUILD_COLUMNS} FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.id = ${queueId}`);
    if (!row) throw new NotFoundError(`No queue item ${queueId}`);
    if (row.state === 'queued') return (await this.queue()).find((q) => q.id === queueId) ?? { id: queueId, job: row.job_name, why: 'Waiting' };
    return { id: row.id, job: row.job_name, cancelled: row.state === 'cancelled', build: row.number === null ? null : { number: row.number } };
  }
}

export function presentBuild(row: BuildRow, estimatedDurationMs: number | null): Build {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    number: row.number,
    queueId: row.id,
    job: row.job_name,
    result: row.state === 'finished' ? row.result : null,
    building: row.state === 'running',
    state: row.state,
    causes: row.causes.map((c) => ({ ...c, description: describeCause(c) })),
    parameters: visibleParameters(row),
    agent: row.agent_name,
    executor: row.executor,
    queuedAt: new Date(row.queued_at).toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: row.state === 'finished' ? iso(row.finished_at) : null,
    durationMs: row.started_at && row.finished_at && row.state === 'finished' ? Math.round(row.finished_at - row.started_at) : null,
    estimatedDurationMs,
    abortedBy: row.abort_by,
    logSize: row.log_size,
  };
}

/** Parameter values as people may see them: encrypted (password) values as ****. */
export function visibleParameters(row: BuildRow): Record<string, string | boolean> {
  return Object.fromEntries(Object.entries(row.parameters).map(([k, v]) => [k, SecretBox.isSealed(v) ? '****' : v]));
}
