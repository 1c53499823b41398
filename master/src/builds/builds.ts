/** The builds service for people: trigger, queue, history, abort. Agents use agent-builds.ts. */
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { Build } from '../../../shared/src/api-responses.ts';
import { describeCause, describeCauses, type Cause } from '../../../shared/src/build.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { JobsService, StoredJob } from '../jobs/jobs.ts';
import type { BuildQueue } from '../queue/build-queue.ts';
import { applyTransition, BUILD_COLUMNS, BuildRow, lockBuild } from './build-rows.ts';
import { busyBuilds } from './awaited.ts';
import { estimatedDurationMs } from './estimates.ts';
import { PERMALINKS } from './permalinks.ts';
import { executorWhy, QueueAgent } from './queue-why.ts';
import type { EventPublisher } from '../events/event-bus.ts';
import type { Dispatcher } from './dispatcher.ts';
import { resolveParameters } from './parameters.ts';
import { SecretBox } from './secret-box.ts';
import { storeBuildFile, type UploadedFile } from './uploads.ts';

export class BuildsService {
  readonly #pool: DatabasePool;
  readonly #jobs: JobsService;
  readonly #queue: BuildQueue;
  readonly #dispatcher: Dispatcher;
  readonly #secrets: SecretBox;
  readonly #events: EventPublisher;
  constructor(deps: { pool: DatabasePool; jobs: JobsService; queue: BuildQueue; dispatcher: Dispatcher; secrets: SecretBox; events: EventPublisher }) {
    this.#events = deps.events;
    this.#pool = deps.pool;
    this.#jobs = deps.jobs;
    this.#queue = deps.queue;
    this.#dispatcher = deps.dispatcher;
    this.#secrets = deps.secrets;
  }

  /**
   * Queues a build; returns its queue id. Parameters are checked against the job's definitions;
   * `files` are the uploads for its file parameters (stored with the build, in one transaction);
   * `quietPeriod` (seconds) replaces the job's (a timer trigger uses 0, as in Jenkins).
   */
  async trigger(jobName: string, given: Record<string, unknown>, cause: Cause, files: UploadedFile[] = [], opts: { quietPeriod?: number } = {}): Promise<number> {
    const stored = await this.#jobs.find(jobName);
    // No quiet period to merge into: queueing is one statement (or, with files, its own
    // transaction), so no transaction around it — two round trips fewer on every trigger.
    const quietPeriod = opts.quietPeriod ?? stored.job.quietPeriod;
    const merges = quietPeriod > 0 && files.length === 0;
    const id = merges
      ? await this.#pool.transaction((tx) => this.queueIn(tx, stored, given, cause, files, opts))
      : await this.queueIn(this.#pool, stored, given, cause, files, opts);
    await this.announceQueued(stored, id, quietPeriod);
    return id;
  }

  /**
   * After the transaction that queued a build committed: put it on the queue and tell viewers.
   * `quietPeriod`: the one it was queued with (seconds), when not the job's.
   */
  async announceQueued(stored: StoredJob, queueId: number, quietPeriod = stored.job.quietPeriod): Promise<void> {
    await this.#dispatcher.queued({ ...stored.job, id: stored.id, quietPeriod }, queueId);
    this.#events.publish({ type: 'build.queued', job: stored.job.name, queueId });
    this.#events.publish({ type: 'queue.changed' });
  }

  /**
   * Queues a build, inside the caller's transaction when it has one (the caller then calls
   * announceQueued). Merging into a build in its quiet period needs one: it locks the job.
   */
  async queueIn(tx: CommonQueryMethods, stored: StoredJob, given: Record<string, unknown>, cause: Cause, files: UploadedFile[] = [], opts: { quietPeriod?: number } = {}): Promise<number> {
    const { id: jobId, job } = stored;
    const quietPeriod = opts.quietPeriod ?? job.quietPeriod;
    if (job.disabled) throw new ConflictError(`${job.name} is disabled and cannot be built`);
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ValidationError('parameters must be an object of NAME: value');
    for (const file of files) {
      const def = job.parameters.find((p) => p.name === file.parameter);
      if (def?.type !== 'file') {
        throw new ValidationError(`${file.parameter} is not a file parameter of ${job.name}`, [{ field: `parameters.${file.parameter}`, message: 'not a file parameter' }]);
      }
    }
    const values = resolveParameters(job.parameters, given);
    for (const file of files) values[file.parameter] = file.fileName;
    // Password values are kept encrypted; a missing one falls back to the (already sealed) default.
    for (const p of job.parameters) {
      if (p.type !== 'password') continue;
      const v = values[p.name] as string;
      values[p.name] = !Object.hasOwn(given, p.name) && SecretBox.isSealed(p.default) ? p.default : this.#secrets.seal(v);
    }
    // A trigger arriving while an identical item (same parameters) is still in its quiet period
    // folds into it, as in Jenkins; with no quiet period nothing merges.
    if (quietPeriod > 0 && files.length === 0) {
      await tx.query(sql.unsafe`SELECT 1 FROM jobs WHERE id = ${jobId} FOR UPDATE`);
      const waiting = await tx.any(sql.type(z.object({ id: z.coerce.number(), parameters: z.record(z.string(), z.unknown()) }))`
        SELECT id, parameters FROM builds WHERE job_id = ${jobId} AND state = 'queued' AND not_before > now()
          AND NOT EXISTS (SELECT 1 FROM build_files f WHERE f.build_id = builds.id) ORDER BY id`);
      const same = waiting.find((w) => this.#sameParameters(w.parameters, values));
      if (same) {
        await tx.query(sql.unsafe`UPDATE builds SET causes = causes || ${sql.jsonb([cause])} WHERE id = ${same.id}`);
        return same.id;
      }
    }
    const insert = (db: CommonQueryMethods) => db.oneFirst(sql.type(z.object({ id: z.coerce.number() }))`
      INSERT INTO builds (job_id, state, causes, parameters, label, not_before)
      VALUES (${jobId}, 'queued', ${sql.jsonb([cause])}, ${sql.jsonb(values)}, ${job.label}, now() + make_interval(secs => ${quietPeriod}))
      RETURNING id`);
    if (files.length === 0) return insert(tx);
    return tx.transaction(async (t) => {
      const buildId = await insert(t);
      for (const file of files) await storeBuildFile(t, buildId, file);
      return buildId;
    });
  }

  /** Cancels a queued item (it never gets a number). */
  async cancelQueued(queueId: number): Promise<void> {
    const row = await this.#pool.transaction(async (tx) => {
      const build = await lockBuild(tx, queueId);
      if (!build || build.state !== 'queued') throw new NotFoundError(`No queue item ${queueId}`);
      await applyTransition(tx, build, { type: 'cancel' });
      return build;
    });
    await this.#queue.remove(row.id, row.label);
    this.#events.publish({ type: 'queue.changed' });
  }

  /** Aborts a running build (the agent stops it within a second), or cancels a queued one. */
  async abort(jobName: string, ref: string, by: string): Promise<void> {
    const build = await this.#resolve(jobName, ref);
    await this.#pool.transaction(async (tx) => {
      const row = await lockBuild(tx, build.id);
      if (!row) throw new NotFoundError(`No build ${ref} of '${jobName}'`);
      await applyTransition(tx, row, { type: 'abort', result: 'ABORTED' });
      if (row.abort_by === null) await tx.query(sql.unsafe`UPDATE builds SET abort_by = ${by} WHERE id = ${row.id}`);
    });
    if (build.state === 'queued') this.#events.publish({ type: 'queue.changed' });
  }

  /** One build, with the builds it triggered (downstream); its upstream is in its causes. */
  async get(jobName: string, ref: string) {
    const row = await this.#resolve(jobName, ref);
    const downstream =
      row.number === null
        ? []
        : await this.#pool.any(sql.type(z.object({ job: z.string(), number: z.number().nullable(), queueId: z.coerce.number() }))`
            SELECT j.name AS job, b.number, b.id AS "queueId" FROM builds b JOIN jobs j ON j.id = b.job_id
            WHERE b.causes @> ${sql.jsonb([{ kind: 'upstream', job: row.job_name, number: row.number }])} ORDER BY b.id`);
    const upstream = row.causes.flatMap((c) => (c.kind === 'upstream' ? [{ job: c.job, number: c.number }] : []));
    return { ...(await this.#present(row)), upstream, downstream };
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
    const rows = await this.#pool.any(sql.type(BuildRow)`
      SELECT ${BUILD_COLUMNS} FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.state = 'queued' ORDER BY b.id`);
    const agents = await this.#pool.any(sql.type(QueueAgent)`
      SELECT name, labels, executors, coalesce(last_seen_at > now() - interval '30 seconds', false) AS online FROM agents`);
    const busy = await busyBuilds(this.#pool);
    const running = await this.#pool.any(sql.type(z.object({ job_id: z.coerce.number(), number: z.number() }))`
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
      if (row.not_before > Date.now()) why = `In the quiet period. Expires in ${Math.ceil((row.not_before - Date.now()) / 1000)} s`;
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

  /** Equal parameter values, comparing encrypted ones by their plain text. */
  #sameParameters(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
    const plain = (v: unknown) => (SecretBox.isSealed(v) ? this.#secrets.open(v) : v);
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => plain(a[k]) === plain(b[k]));
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
function visibleParameters(row: BuildRow): Record<string, string | boolean> {
  return Object.fromEntries(Object.entries(row.parameters).map(([k, v]) => [k, SecretBox.isSealed(v) ? '****' : v]));
}
