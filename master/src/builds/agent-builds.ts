/**
 * The builds service for agents (protocol: shared/src/agent-protocol.ts). Agents are untrusted:
 * every call checks that the build was given to the calling agent, and every state change goes
 * through the state machine under the build row's lock.
 */
import type { Readable } from 'node:stream';
import { sql, type DatabasePool, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import type { BuildControl, BuildSpec, FinishRequest } from '../../../shared/src/agent-protocol.ts';
import { describeCauses, type BuildResult } from '../../../shared/src/build.ts';
import { Job } from '../../../shared/src/job.ts';
import { storedExpressionMatches } from '../../../shared/src/label-expression.ts';
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { buildEnvironment, plainParameters, triggerEnvironment } from './build-env.ts';
import { applyTransition, BUILD_COLUMNS, BuildRow, checkOwned, decideTransition, lockOwnedBuild, writeTransition } from './build-rows.ts';
import type { EventPublisher } from '../events/event-bus.ts';
import { checkPath, openById } from '../jobs/job-files.ts';
import type { BuildsService } from './builds.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { DownstreamTriggers, Fired } from './downstream.ts';
import { abortAwaited } from './awaited.ts';
import { discardOldBuilds, type ArtifactFiles } from './discarder.ts';
import { appendAtEnd, appendChunks } from '../console/console-store.ts';
import { readChunks } from '../db/chunk-stream.ts';
import type { RawClient, RawPool } from '../db/raw-pool.ts';
import { SecretBox } from './secret-box.ts';

/** A log chunk that would leave a gap: the agent must resend from `logSize`. */
export class LogGapError extends DomainError {
  readonly logSize: number;
  constructor(logSize: number) {
    super(409, 'conflict', `Log gap: the master has ${logSize} bytes; resend from there`);
    this.logSize = logSize;
  }
}

const text = (s: string) => Buffer.from(s, 'utf8');

/** A build row locked for its start, with the calling agent's labels and executors (null: no such agent). */
const StartRow = BuildRow.extend({ agent_labels: z.array(z.string()).nullable(), agent_executors: z.number().nullable() });

/**
 * What a start reads of the job besides its config: the build's file parameters and the job's
 * files, as columns of the same statement (a start is on every build's path: each round trip counts).
 */
const JobForStart = z.object({
  config: z.unknown(),
  next: z.number(),
  build_files: z.array(z.object({ parameter: z.string(), fileName: z.string(), size: z.number(), sha256: z.string() })),
  job_files: z.array(z.object({ path: z.string(), size: z.number(), sha256: z.string() })),
});
/** A build row locked for its end, with its job's config (its post-build actions and discarder). */
const EndingRow = BuildRow.extend({ job_config: z.unknown() });
const lockEnding = (tx: DatabaseTransactionConnection, buildId: number) =>
  tx.maybeOne(sql.type(EndingRow)`SELECT ${BUILD_COLUMNS}, j.config AS job_config FROM builds b JOIN jobs j ON j.id = b.job_id WHERE b.id = ${buildId} FOR UPDATE OF b`);

const startFiles = (buildId: number) => sql.fragment`
  (SELECT coalesce(json_agg(json_build_object('parameter', parameter, 'fileName', file_name, 'size', size, 'sha256', sha256) ORDER BY parameter), '[]')
     FROM build_files WHERE build_id = ${buildId}) AS build_files,
  (SELECT coalesce(json_agg(json_build_object('path', path, 'size', size, 'sha256', sha256) ORDER BY path), '[]')
     FROM job_files WHERE job_id = jobs.id) AS job_files`;

export class AgentBuildsService {
  readonly #pool: DatabasePool;
  /** Console uploads and pings: COPY needs node-postgres itself. */
  readonly #raw: RawPool;
  readonly #dispatcher: Dispatcher;
  readonly #secrets: SecretBox;
  /** The effective public URL (the System setting, else JONKKINS_URL); cached by the settings service. */
  readonly #publicUrl: () => Promise<string>;
  readonly #log: Logger;
  readonly #events: EventPublisher;
  readonly #downstream: DownstreamTriggers;
  readonly #builds: BuildsService;
  readonly #artifacts: ArtifactFiles;
  constructor(deps: { pool: DatabasePool; raw: RawPool; dispatcher: Dispatcher; secrets: SecretBox; publicUrl: () => Promise<string>; log: Logger; events: EventPublisher; builds: BuildsService; downstream: DownstreamTriggers; artifacts: ArtifactFiles }) {
    this.#artifacts = deps.artifacts;
    this.#events = deps.events;
    this.#builds = deps.builds;
    this.#downstream = deps.downstream;
    this.#pool = deps.pool;
    this.#raw = deps.raw;
    this.#dispatcher = deps.dispatcher;
    this.#secrets = deps.secrets;
    this.#publicUrl = deps.publicUrl;
    this.#log = deps.log;
  }

  /** Moves a queued build to running for this agent, exactly once, and returns what it needs to run it. */
  async start(agentName: string, buildId: number, executor: number): Promise<BuildSpec> {
    const publicUrl = await this.#publicUrl();
    const spec = await this.#pool.transaction(async (tx) => {
      const row = await tx.maybeOne(sql.type(StartRow)`
        SELECT ${BUILD_COLUMNS}, a.labels AS agent_labels, a.executors AS agent_executors
        FROM builds b JOIN jobs j ON j.id = b.job_id LEFT JOIN agents a ON a.name = ${agentName}
        WHERE b.id = ${buildId} FOR UPDATE OF b`);
      if (!row) throw new ConflictError(`No build ${buildId}`);
      // The same agent asking again for the same executor lost our first answer: give it again
      // (its console continues at the current end), rather than leave a build nobody runs.
      if (row.state === 'running' && row.agent_name === agentName && row.executor === executor) {
        const job = await tx.one(sql.type(JobForStart)`SELECT config, next_build_number AS next, ${startFiles(row.id)} FROM jobs WHERE id = ${row.job_id}`);
        return this.#spec(publicUrl, row, Job.parse(job.config), row.number!, row.log_size, job.build_files, job.job_files);
      }
      if (row.state !== 'queued') throw new ConflictError(`Build ${buildId} is ${row.state}`);
      if (row.not_before > Date.now()) throw new ConflictError(`Build ${buildId} is still in its quiet period`);
      if (row.agent_labels === null || row.agent_executors === null) throw new ForbiddenError('Unknown agent');
      if (executor >= row.agent_executors) throw new ConflictError(`Executor ${executor} does not exist on ${agentName}`);
      if (!storedExpressionMatches(row.label, [...row.agent_labels, agentName])) {
        throw new ConflictError(`Agent ${agentName} does not match the label expression '${row.label}'`);
      }
      // Takes the number and locks the job row; a refusal below rolls the number back.
      const job = await tx.one(sql.type(JobForStart)`
        UPDATE jobs SET next_build_number = next_build_number + 1 WHERE id = ${row.job_id}
        RETURNING config, next_build_number - 1 AS next, ${startFiles(row.id)}`);
      const config = Job.parse(job.config);
      if (!config.concurrentBuild) {
        // Its own statement, after the lock: its snapshot sees a build another start just committed.
        const busy = await tx.exists(sql.unsafe`SELECT 1 FROM builds WHERE job_id = ${row.job_id} AND state = 'running'`);
        if (busy) throw new ConflictError(`${config.name} is already building and does not allow concurrent builds`);
      }
      const header = text(describeCauses(row.causes).map((line) => `${line}\n`).join(''));
      await writeTransition(tx, row, decideTransition(row, { type: 'start' }), {
        extra: sql.fragment`
          number = ${job.next}, agent_name = ${agentName}, executor = ${executor}, started_at = now(), agent_seen_at = now(),
          timeout_at = CASE WHEN ${config.timeoutMinutes}::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => ${config.timeoutMinutes}::float8 * 60) END`,
        append: header,
      });
      return this.#spec(publicUrl, row, config, job.next, row.log_size + header.length, job.build_files, job.job_files);
    });
    this.#events.publish({ type: 'build.started', job: spec.jobName, queueId: buildId, number: spec.number, agent: agentName, executor });
    this.#events.publish({ type: 'queue.changed' });
    this.#events.publish({ type: 'build.log', buildId, size: spec.logOffset });
    return spec;
  }

  /**
   * Appends console bytes sent at `offset` — the upload's chunks as read off the request — and
   * answers with what the agent must know (abort). Without chunks, a ping.
   */
  async appendLog(agentName: string, buildId: number, offset: number, chunks: readonly Buffer[]): Promise<BuildControl> {
    const control = await this.#raw.transaction(async (client) => {
      const size = await lockOwnedLog(client, agentName, buildId);
      const appended = await appendChunks(client, buildId, size, offset, chunks, this.#raw.copy);
      if (!appended.ok) throw new LogGapError(appended.size);
      return { logSize: appended.size, abort: await touch(client, buildId, appended.size), grew: appended.size > size };
    });
    if (control.grew) this.#events.publish({ type: 'build.log', buildId, size: control.logSize });
    return { logSize: control.logSize, abort: control.abort };
  }

  /** The agent is still running the build: when it stopped sending console, the ping says so. */
  async ping(agentName: string, buildId: number): Promise<BuildControl> {
    return this.#raw.transaction(async (client) => {
      const size = await lockOwnedLog(client, agentName, buildId);
      return { logSize: size, abort: await touch(client, buildId, size) };
    });
  }

  /** Ends a build once every console byte is stored; repeated calls for a finished build are answered alike. */
  async finish(agentName: string, buildId: number, req: FinishRequest): Promise<{ result: string }> {
    const publicUrl = await this.#publicUrl();
    const done = await this.#pool.transaction(async (tx) => {
      const row = await lockEnding(tx, buildId);
      if (!row) throw new NotFoundError(`No build ${buildId}`);
      if (row.agent_name !== agentName) throw new ForbiddenError('This build was not given to you');
      if (row.state === 'finished') return { jobId: row.job_id, job: row.job_name, number: row.number!, result: row.result!, size: row.log_size, already: true, queued: [], released: [], config: null };
      // The console's last bytes came with the report: what of them the master lacks (a resend
      // overlaps) is stored with the footer, in one statement.
      let tail = Buffer.alloc(0);
      if (req.log && req.log.offset <= row.log_size) {
        const sent = Buffer.from(req.log.data, 'base64');
        tail = sent.subarray(Math.min(sent.length, row.log_size - req.log.offset));
      }
      // The transaction rolls back: what the master has is the size before this call.
      if (req.logSize !== row.log_size + tail.length) throw new LogGapError(row.log_size);
      const next = decideTransition(row, { type: 'finish', reported: req.result });
      let footer = '';
      if (row.abort_result && row.abort_by === 'timeout') footer += 'Build timed out. Marking the build as failed.\n';
      else if (row.abort_result) footer += `Aborted by ${row.abort_by ?? 'unknown'}\n`;
      // Build rows before jobs rows (queueing may lock a job), the order start takes them in.
      const released = await abortAwaited(tx, row);
      const config = Job.parse(row.job_config);
      const fired = await this.#fireDownstream(tx, publicUrl, row, config, next.result!, req.properties);
      // The new state, the console's tail and its footer: one statement (this row is locked already).
      const append = Buffer.concat([tail, text(`${footer}${fired.lines.join('')}Finished: ${next.result}\n`)]);
      await writeTransition(tx, row, next, { append });
      return { jobId: row.job_id, job: row.job_name, number: row.number!, result: next.result!, size: row.log_size + append.length, already: false, queued: fired.queued, released, config };
    });
    await this.#released(done.released);
    for (const q of done.queued) await this.#builds.announceQueued(q.stored, q.queueId);
    if (!done.already) {
      this.#events.publish({ type: 'build.log', buildId, size: done.size });
      this.#events.publish({ type: 'build.finished', job: done.job, queueId: buildId, number: done.number, result: done.result });
      // A concurrent job's queued builds are on the queue already; a non-concurrent job's next one goes now.
      if (!done.config?.concurrentBuild) await this.#dispatcher.dispatch(done.jobId);
      await discardOldBuilds(this.#pool, done.jobId, this.#artifacts, done.config ?? undefined);
    }
    return { result: done.result };
  }

  /** Heartbeat: the agent is alive, and so are its running builds. */
  async agentAlive(agentName: string): Promise<void> {
    await this.#pool.query(sql.unsafe`UPDATE builds SET agent_seen_at = now() WHERE agent_name = ${agentName} AND state = 'running'`);
  }

  /** Ends FAILURE every running build whose agent stopped answering; never runs it again. */
  async endLostBuilds(silentForMs: number): Promise<number> {
    const ids = await this.#pool.anyFirst(sql.type(z.object({ id: z.coerce.number() }))`
      SELECT id FROM builds WHERE state = 'running' AND agent_seen_at < now() - make_interval(secs => ${silentForMs / 1000})`);
    const queued: Fired['queued'] = [];
    const released: number[] = [];
    const publicUrl = ids.length > 0 ? await this.#publicUrl() : '';
    for (const id of ids) {
      const jobId = await this.#pool.transaction(async (tx) => {
        const row = await lockEnding(tx, id);
        if (!row || row.state !== 'running') return null;
        const fresh = await tx.exists(sql.unsafe`SELECT 1 FROM builds WHERE id = ${id} AND agent_seen_at >= now() - make_interval(secs => ${silentForMs / 1000})`);
        if (fresh) return null;
        const next = await applyTransition(tx, row, { type: 'agentLost' });
        released.push(...(await abortAwaited(tx, row)));
        const fired = await this.#fireDownstream(tx, publicUrl, row, Job.parse(row.job_config), next.result!);
        const lost = `\nFATAL: agent lost: ${row.agent_name} stopped answering; the build is not run again\n`;
        const size = await appendAtEnd(tx, id, row.log_size, text(`${lost}${fired.lines.join('')}Finished: ${next.result}\n`));
        queued.push(...fired.queued);
        this.#events.publish({ type: 'build.log', buildId: id, size });
        this.#events.publish({ type: 'build.finished', job: row.job_name, queueId: id, number: row.number!, result: next.result! });
        return row.job_id;
      });
      if (jobId !== null) {
        this.#log.warn({ buildId: id }, 'build ended: agent lost');
        await this.#dispatcher.dispatch(jobId);
        await discardOldBuilds(this.#pool, jobId, this.#artifacts);
      }
    }
    for (const q of queued) await this.#builds.announceQueued(q.stored, q.queueId);
    await this.#released(released);
    return ids.length;
  }

  /** After builds a finished build awaited were aborted or cancelled: their jobs' queues moved. */
  async #released(jobIds: number[]): Promise<void> {
    if (jobIds.length === 0) return;
    this.#events.publish({ type: 'queue.changed' });
    for (const jobId of new Set(jobIds)) await this.#dispatcher.dispatch(jobId);
  }

  /** Streams one of the job's files to the agent running a build of it. */
  async openJobFile(agentName: string, buildId: number, path: string): Promise<{ size: number; stream: Readable }> {
    checkPath(path);
    const row = await this.#pool.transaction((tx) => lockOwnedBuild(tx, agentName, buildId));
    return openById(this.#pool, row.job_id, path);
  }

  /** Streams a file of a running build to the agent running it. */
  async openFile(agentName: string, buildId: number, parameter: string): Promise<{ size: number; stream: Readable }> {
    const file = await this.#pool.transaction(async (tx) => {
      await lockOwnedBuild(tx, agentName, buildId);
      return tx.maybeOne(sql.type(z.object({ size: z.coerce.number() }))`SELECT size FROM build_files WHERE build_id = ${buildId} AND parameter = ${parameter}`);
    });
    if (!file) throw new NotFoundError(`Build ${buildId} has no file for parameter ${parameter}`);
    return { size: file.size, stream: readChunks(this.#pool, sql.fragment`build_file_chunks WHERE build_id = ${buildId} AND parameter = ${parameter}`, file.size) };
  }

  /** Post-build triggers of a build that just got its result, in the finishing transaction. */
  async #fireDownstream(tx: DatabaseTransactionConnection, publicUrl: string, row: BuildRow, job: Job, result: BuildResult, properties: FinishRequest['properties'] = []): Promise<Fired> {
    const parameters = plainParameters(row, this.#secrets);
    const env = triggerEnvironment({ job, row, parameters, publicUrl });
    return this.#downstream.fire(tx, row, job, result, env, parameters, Object.fromEntries((properties ?? []).map((p) => [p.publisher, p.texts])));
  }

  #spec(publicUrl: string, row: BuildRow, config: Job, number: number, logOffset: number, files: BuildSpec['files'], jobFiles: BuildSpec['jobFiles']): BuildSpec {
    const parameters = plainParameters(row, this.#secrets);
    return {
      buildId: row.id,
      jobName: config.name,
      number,
      steps: config.steps,
      env: buildEnvironment({ job: config, number, causes: row.causes, parameters, publicUrl }),
      masks: config.parameters.filter((p) => p.type === 'password').map((p) => parameters[p.name]!).filter((v) => v.length > 0),
      timeoutMinutes: config.timeoutMinutes,
      logOffset,
      files,
      jobFiles,
      archive: config.publishers.flatMap((p) =>
        p.type === 'archiveArtifacts' ? [{ artifacts: p.artifacts, excludes: p.excludes, allowEmptyArchive: p.allowEmptyArchive, onlyIfSuccessful: p.onlyIfSuccessful }] : [],
      ),
      triggerFiles: config.publishers.flatMap((p, publisher) => (p.type === 'triggerBuilds' && p.propertiesFile?.trim() ? [{ publisher, propertiesFile: p.propertiesFile }] : [])),
    };
  }
}

/** lockOwnedBuild on the raw pool: locks the build row, checks it is the agent's, answers its console size. */
async function lockOwnedLog(client: RawClient, agentName: string, buildId: number): Promise<number> {
  const locked = await client.query<{ agent_name: string | null; state: BuildRow['state']; log_size: string }>(
    'SELECT agent_name, state, log_size FROM builds WHERE id = $1 FOR UPDATE', [buildId]);
  return Number(checkOwned(locked.rows[0], agentName, buildId).log_size);
}

/**
 * The agent was heard from: stores the console size, and turns a passed timeout into an abort.
 * Answers whether the build is to be aborted.
 */
async function touch(client: RawClient, buildId: number, logSize: number): Promise<boolean> {
  const r = await client.query<{ abort_result: string | null }>(`
    UPDATE builds SET agent_seen_at = now(), log_size = $2,
      abort_result = CASE WHEN abort_result IS NULL AND timeout_at < now() THEN 'FAILURE' ELSE abort_result END,
      abort_by = CASE WHEN abort_result IS NULL AND timeout_at < now() THEN 'timeout' ELSE abort_by END
    WHERE id = $1 RETURNING abort_result`, [buildId, logSize]);
  return r.rows[0]!.abort_result !== null;
}
