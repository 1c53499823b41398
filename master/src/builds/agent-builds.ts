/**
 * The builds service for agents (protocol: shared/src/agent-protocol.ts). Agents are untrusted:
 * every call checks that the build was given to the calling agent's session, takes from the agent
 * only what the job asked it for, and every state change goes through the lifecycle
 * (lifecycle.ts) under the build row's lock.
 */
import type { Readable } from 'node:stream';
import { sql, type DatabasePool, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { chooseQueues } from '../../../shared/src/work-queues.ts';
import type { BuildControl, BuildSpec, FinishRequest, WorkConfig } from '../../../shared/src/agent-protocol.ts';
import { ANY_QUEUE, servableQueueName } from '../queue/build-queue.ts';
import { causedRevision, describeCauses } from '../../../shared/src/build.ts';
import { Job } from '../../../shared/src/job.ts';
import { storedExpressionMatches } from '../../../shared/src/label-expression.ts';
import { ConflictError, ForbiddenError, LogGapError, NotFoundError, ValidationError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { buildEnvironment, plainParameters, triggerEnvironment } from './build-env.ts';
import { expandVariables } from '../../../shared/src/expand-variables.ts';
import { BUILD_COLUMNS, BuildRow, checkOwned, effectiveLabels, lockOwnedBuild, lockWithJob, ownedBy, refreshSession, touchBuild, type AgentRef } from './build-rows.ts';
import { checkPath, openById } from '../jobs/job-files.ts';
import type { JobsService } from '../jobs/jobs.ts';
import { settle, type AfterCommit, type BuildLifecycle } from './lifecycle.ts';
import type { BuildChange } from './build-notifiers.ts';
import { appendChunks } from '../console/console-store.ts';
import { readChunks } from '../db/chunk-stream.ts';
import type { RawClient, RawPool } from '../db/raw-pool.ts';
import type { SecretBox } from '../secret-box.ts';
import { recordCheckout, scmHistory } from '../scm/checkouts.ts';
import type { CheckoutReport, ScmHistory } from '../../../shared/src/scm.ts';
import { CredentialRefusedError, type CredentialsService } from '../credentials/credentials.ts';
import { credentialMasks } from '../../../shared/src/credential-masks.ts';
import type { CredentialSecret } from '../../../shared/src/credentials.ts';
import { sqlTime, type Clock } from '../clock.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const AgentWorkRow = z.object({ id: z.coerce.number(), labels: z.array(z.string()), executors: z.number(), secret_version: z.number() });
const LabelRow = z.object({ label: z.string() });
const IdRow = z.object({ id: z.coerce.number() });
const SizeRow = z.object({ size: z.coerce.number() });
export type { AgentRef } from './build-rows.ts';

const text = (s: string) => Buffer.from(s, 'utf8');


/** Gives an agent its own Redis user for the queues it works (agents/agent-redis.ts). */
export type AgentRedisFor = (agent: { id: number; name: string; secretVersion: number }, queues: readonly string[], current: () => Promise<boolean>) => Promise<WorkConfig['redis']>;

/** A build row locked for its start, with the calling agent's labels and executors (null: no such agent). */
/**
 * What a start reads besides the build row: the agent, the build's file parameters and the job's
 * files, all in the statement that locks the build (a start is on every build's path: each round
 * trip counts; the number is taken by the jobs module in the one statement that must follow).
 */
const StartFiles = z.object({
  build_files: z.array(z.object({ parameter: z.string(), fileName: z.string(), size: z.number(), sha256: z.string() })),
  job_files: z.array(z.object({ path: z.string(), size: z.number(), sha256: z.string() })),
});
const StartRow = BuildRow.extend({ agent_labels: z.array(z.string()).nullable(), agent_executors: z.number().nullable() }).extend(StartFiles.shape);

const START_FILES = sql.fragment`
  (SELECT coalesce(json_agg(json_build_object('parameter', f.parameter, 'fileName', f.file_name, 'size', f.size, 'sha256', f.sha256) ORDER BY f.parameter), '[]')
     FROM build_files f WHERE f.build_id = b.id) AS build_files,
  (SELECT coalesce(json_agg(json_build_object('path', jf.path, 'size', jf.size, 'sha256', jf.sha256) ORDER BY jf.path), '[]')
     FROM job_files jf WHERE jf.job_id = b.job_id) AS job_files`;

/** The publishers whose properties files the agent reads and sends with finish (spec.triggerFiles). */
export function triggerFiles(job: Job): BuildSpec['triggerFiles'] {
  return job.publishers.flatMap((p, publisher) => (p.type === 'triggerBuilds' && p.propertiesFile?.trim() ? [{ publisher, propertiesFile: p.propertiesFile }] : []));
}

export type CheckedOut = (tx: DatabaseTransactionConnection, change: BuildChange) => Promise<AfterCommit>;

export class AgentBuildsService {
  readonly #pool: DatabasePool;
  /** Console uploads and pings: COPY needs node-postgres itself. */
  readonly #raw: RawPool;
  readonly #secrets: SecretBox;
  /** The effective public URL (the System setting, else JONKKINS_URL); cached by the settings service. */
  readonly #publicUrl: () => Promise<string>;
  readonly #log: Logger;
  readonly #lifecycle: BuildLifecycle;
  readonly #jobs: JobsService;
  readonly #credentials: CredentialsService;
  /**
   * Told, in the transaction that records a build's checkout, that its commit is now known (the
   * commit status publisher's pending status); answers what to run after commit.
   */
  readonly #checkedOut: CheckedOut;
  readonly #now: Clock;
  constructor(deps: { pool: DatabasePool; raw: RawPool; secrets: SecretBox; credentials: CredentialsService; publicUrl: () => Promise<string>; log: Logger; lifecycle: BuildLifecycle; jobs: JobsService; now: Clock; checkedOut?: CheckedOut }) {
    this.#checkedOut = deps.checkedOut ?? (async () => []);
    this.#pool = deps.pool;
    this.#credentials = deps.credentials;
    this.#raw = deps.raw;
    this.#secrets = deps.secrets;
    this.#publicUrl = deps.publicUrl;
    this.#log = deps.log;
    this.#lifecycle = deps.lifecycle;
    this.#jobs = deps.jobs;
    this.#now = deps.now;
  }

  /** What the agent works: its labels and executors, and every queue a job or a queued build needs. */
  /**
   * What an agent works: its labels and executors, every queue, and (from `redisFor`) a Redis user
   * of its own that may touch only the queues it matches (the same choice the agent makes).
   */
  async workConfig(name: string, redisFor: AgentRedisFor): Promise<WorkConfig> {
    const me = await this.#pool.maybeOne(sql.type(AgentWorkRow)`
      SELECT id, ${effectiveLabels('agents')} AS labels, executors, secret_version FROM agents WHERE name = ${name}`);
    if (!me) throw new ForbiddenError('Unknown agent');
    // Every label expression that jobs use or queued builds still carry.
    const labels = await this.#pool.anyFirst(sql.type(LabelRow)`
      SELECT DISTINCT label FROM (
        SELECT coalesce(config ->> 'label', '') AS label FROM jobs
        UNION SELECT label FROM builds WHERE state = 'queued') l`);
    const queues = new Map<string, string>([[ANY_QUEUE, '']]);
    for (const label of labels) {
      const queue = servableQueueName(label);
      if (queue !== null) queues.set(queue, label);
    }
    const all = [...queues].map(([queue, expression]) => ({ name: queue, expression }));
    // A secret changed while this was read: the user written for the old one is deleted again.
    const still = () => this.#pool.exists(sql.unsafe`SELECT 1 FROM agents WHERE id = ${me.id} AND secret_version = ${me.secret_version}`);
    const redis = await redisFor({ id: me.id, name, secretVersion: me.secret_version }, chooseQueues(all, me.labels, name).queues, still);
    return { redis, labels: me.labels, executors: me.executors, queues: all };
  }

  /** Moves a queued build to running for this agent's session, exactly once, and returns what it needs to run it. */
  async start(agent: AgentRef, buildId: number, executor: number): Promise<BuildSpec> {
    const publicUrl = await this.#publicUrl();
    const done = await this.#pool.transaction(async (tx): Promise<{ spec: BuildSpec; after: AfterCommit } | { refused: string; after: AfterCommit }> => {
      const row = await tx.maybeOne(sql.type(StartRow)`
        SELECT ${BUILD_COLUMNS}, ${effectiveLabels('a')} AS agent_labels, a.executors AS agent_executors, ${START_FILES}
        FROM builds b JOIN jobs j ON j.id = b.job_id LEFT JOIN agents a ON a.name = ${agent.name}
        WHERE b.id = ${buildId} FOR UPDATE OF b`);
      if (!row) throw new ConflictError(`No build ${buildId}`);
      // The same agent session asking again for the same executor lost our first answer: give it
      // again (its console continues at the current end), rather than leave a build nobody runs.
      if (row.state === 'running' && row.agent_name === agent.name && row.agent_session === agent.session && row.executor === executor) {
        const config = Job.parse((await this.#jobs.findById(tx, row.job_id)).config);
        const history = config.scm ? await scmHistory(tx, row.job_id, row.number!) : [];
        const credentials = await this.#credentials.forBuild(config, tx);
        return { spec: this.#spec(publicUrl, row, config, row.number!, row.log_size, row, credentials, history), after: [] };
      }
      if (row.state !== 'queued') throw new ConflictError(`Build ${buildId} is ${row.state}`);
      const now = this.#now();
      if (row.not_before > now) throw new ConflictError(`Build ${buildId} is still in its quiet period`);
      if (row.agent_labels === null || row.agent_executors === null) throw new ForbiddenError('Unknown agent');
      if (executor >= row.agent_executors) throw new ConflictError(`Executor ${executor} does not exist on ${agent.name}`);
      if (!storedExpressionMatches(row.label, [...row.agent_labels, agent.name])) {
        throw new ConflictError(`Agent ${agent.name} does not match the label expression '${row.label}'`);
      }
      // Takes the number and locks the job row; a refusal below rolls the number back.
      const { number, config: raw } = await this.#jobs.takeBuildNumber(tx, row.job_id);
      const config = Job.parse(raw);
      if (!config.concurrentBuild) {
        // Its own statement, after the lock: its snapshot sees a build another start just committed.
        const busy = await tx.exists(sql.unsafe`SELECT 1 FROM builds WHERE job_id = ${row.job_id} AND state = 'running'`);
        if (busy) throw new ConflictError(`${config.name} is already building and does not allow concurrent builds`);
      }
      const history = config.scm ? await scmHistory(tx, row.job_id, number) : [];
      const header = text(describeCauses(row.causes).map((line) => `${line}\n`).join(''));
      const startColumns = sql.fragment`number = ${number}, agent_name = ${agent.name}, agent_session = ${agent.session}, executor = ${executor}, started_at = ${sqlTime(now)}, agent_seen_at = ${sqlTime(now)}`;
      const written = { number, agent_name: agent.name, executor };
      let credentials: Record<string, CredentialSecret>;
      try {
        credentials = await this.#credentials.forBuild(config, tx);
      } catch (err) {
        if (!(err instanceof CredentialRefusedError)) throw err;
        // Jenkins fails a build whose wrapper cannot set up: it gets its number, its console says
        // why, no step runs; the agent hears a 409 and runs nothing.
        const applied = await this.#lifecycle.applyIn(tx, { row, job: config }, { type: 'refuse', why: `ERROR: ${err.message}\n` }, { extra: startColumns, written, publicUrl, tail: header });
        return { refused: `Build ${buildId} (${config.name} #${number}) cannot start: ${err.message}`, after: applied.after };
      }
      const applied = await this.#lifecycle.applyIn(tx, { row, job: config }, { type: 'start' }, {
        extra: sql.fragment`${startColumns},
          timeout_at = ${config.timeoutMinutes === null ? null : sqlTime(now + config.timeoutMinutes * 60_000)}`,
        written,
        publicUrl,
        append: header,
      });
      return { spec: this.#spec(publicUrl, row, config, number, row.log_size + header.length, row, credentials, history), after: applied.after };
    });
    await settle(done.after);
    if ('refused' in done) throw new ConflictError(done.refused);
    return done.spec;
  }

  /**
   * Appends console bytes sent at `offset` — the upload's chunks as read off the request — and
   * answers with what the agent must know (abort). Without chunks, a ping.
   */
  async appendLog(agent: AgentRef, buildId: number, offset: number, chunks: readonly Buffer[]): Promise<BuildControl> {
    const control = await this.#raw.transaction(async (client) => {
      const size = await lockOwnedLog(client, agent, buildId);
      const appended = await appendChunks(client, buildId, size, offset, chunks, this.#raw.copy);
      if (!appended.ok) throw new LogGapError(appended.size);
      return { logSize: appended.size, ...(await touchBuild(client, buildId, appended.size, this.#now())), grew: appended.size > size };
    });
    if (control.grew) this.#lifecycle.publishLog(buildId, control.logSize);
    return { logSize: control.logSize, abort: await this.#abortOrTimeout(buildId, control) };
  }

  /** The agent is still running the build: when it stopped sending console, the ping says so. */
  async ping(agent: AgentRef, buildId: number): Promise<BuildControl> {
    const control = await this.#raw.transaction(async (client) => {
      const size = await lockOwnedLog(client, agent, buildId);
      return { logSize: size, ...(await touchBuild(client, buildId, size, this.#now())) };
    });
    return { logSize: control.logSize, abort: await this.#abortOrTimeout(buildId, control) };
  }

  /** A passed timeout becomes the `timeout` transition (once: it then is an abort). */
  async #abortOrTimeout(buildId: number, c: { aborting: boolean; timedOut: boolean }): Promise<boolean> {
    if (c.aborting) return true;
    if (!c.timedOut) return false;
    const next = await this.#lifecycle.change(buildId, { type: 'timeout' }, (_tx, { row }) => row.state === 'running');
    return next?.abortResult != null;
  }

  /** Ends a build once every console byte is stored; repeated calls for a finished build are answered alike. */
  async finish(agent: AgentRef, buildId: number, req: FinishRequest): Promise<{ result: string }> {
    const publicUrl = await this.#publicUrl();
    const done = await this.#pool.transaction(async (tx) => {
      const locked = await lockWithJob(tx, buildId);
      if (!locked) throw new NotFoundError(`No build ${buildId}`);
      const { row, job } = locked;
      if (!ownedBy(row, agent)) throw new ForbiddenError('This build was not given to you');
      if (row.state === 'finished') return { result: row.result!, after: [] };
      checkProperties(job, req.properties);
      // The console's last bytes came with the report: what of them the master lacks (a resend
      // overlaps) is stored with the footer, in one statement.
      let tail = Buffer.alloc(0);
      if (req.log && req.log.offset <= row.log_size) {
        const sent = Buffer.from(req.log.data, 'base64');
        tail = sent.subarray(Math.min(sent.length, row.log_size - req.log.offset));
      }
      // The transaction rolls back: what the master has is the size before this call.
      if (req.logSize !== row.log_size + tail.length) throw new LogGapError(row.log_size);
      const applied = await this.#lifecycle.applyIn(tx, locked, { type: 'finish', reported: req.result }, { tail, properties: req.properties, publicUrl });
      return { result: applied.next.result!, after: applied.after };
    });
    await settle(done.after);
    return { result: done.result };
  }

  /**
   * The agent checked out: records the commit, branch and change set of the build it runs, once
   * per build (a resend replaces it), only for a job with scm and its own repository URL.
   */
  async recordCheckout(agent: AgentRef, buildId: number, report: CheckoutReport): Promise<void> {
    const publicUrl = await this.#publicUrl();
    const after = await this.#pool.transaction(async (tx) => {
      const row = await lockOwnedBuild(tx, agent, buildId);
      const job = Job.parse((await this.#jobs.findById(tx, row.job_id)).config);
      if (!job.scm) throw new ValidationError(`${job.name} has no source control to check out`);
      if (report.url !== job.scm.url) throw new ValidationError(`url: ${job.name} checks out ${job.scm.url}, not ${report.url}`, [{ field: 'url', message: 'not the job\'s repository' }]);
      await recordCheckout(tx, { id: row.id, jobId: row.job_id }, report);
      return this.#checkedOut(tx, { event: 'started', row, job, result: null, publicUrl });
    });
    await settle(after);
  }

  /** Heartbeat of one agent session: it is alive, and so are its running builds (not another session's). */
  async agentAlive(agent: AgentRef): Promise<void> {
    await refreshSession(this.#pool, agent, this.#now());
  }

  /** Agent `name` logged in as `session`: builds its other sessions left running end now ("agent lost"). */
  async sessionStarted(name: string, session: string): Promise<number> {
    const ids = await this.#pool.anyFirst(sql.type(IdRow)`
      SELECT id FROM builds WHERE state = 'running' AND agent_name = ${name} AND agent_session IS DISTINCT FROM ${session}::uuid`);
    let ended = 0;
    for (const id of ids) {
      const next = await this.#lifecycle.change(id, { type: 'agentLost', agent: name, why: 'restarted' }, async (tx, { row }) =>
        row.state === 'running' && (await tx.exists(sql.unsafe`SELECT 1 FROM builds WHERE id = ${id} AND agent_session IS DISTINCT FROM ${session}::uuid`)));
      if (next) {
        ended++;
        this.#log.warn({ buildId: id, agent: name }, 'build ended: its agent started a new session');
      }
    }
    return ended;
  }

  /** Ends FAILURE every running build whose agent stopped answering; never runs it again. */
  async endLostBuilds(silentForMs: number): Promise<number> {
    const silent = sql.fragment`agent_seen_at < ${sqlTime(this.#now() - silentForMs)}`;
    const ids = await this.#pool.anyFirst(sql.type(IdRow)`SELECT id FROM builds WHERE state = 'running' AND ${silent}`);
    let ended = 0;
    for (const id of ids) {
      // Re-checked under the lock: a heartbeat may have come since.
      const next = await this.#lifecycle.change(id, (row) => ({ type: 'agentLost', agent: row.agent_name ?? 'unknown', why: 'silent' }), async (tx, { row }) =>
        row.state === 'running' && (await tx.exists(sql.unsafe`SELECT 1 FROM builds WHERE id = ${id} AND ${silent}`)));
      if (next) {
        ended++;
        this.#log.warn({ buildId: id }, 'build ended: agent lost');
      }
    }
    return ended;
  }

  /**
   * An agent reaches only what its build's spec names: a copyArtifacts step of the build's job
   * must name `project` (its `$VAR`s expanded with the build's environment) and select `selector`
   * (a step for the latest successful build may fetch the build number that selection answered).
   */
  async checkCopySource(agent: AgentRef, buildId: number, project: string, selector: 'lastSuccessful' | number): Promise<void> {
    const publicUrl = await this.#publicUrl();
    const { row, job } = await this.#pool.transaction(async (tx) => {
      const r = await lockOwnedBuild(tx, agent, buildId);
      return { row: r, job: Job.parse((await this.#jobs.findById(tx, r.job_id)).config) };
    });
    const env = triggerEnvironment({ job, row, parameters: plainParameters(row, this.#secrets), publicUrl });
    const wanted = project.trim().toLowerCase();
    const named = job.steps.some((s) => s.type === 'copyArtifacts' && expandVariables(s.project, env).trim().toLowerCase() === wanted && (s.selector === 'lastSuccessful' || s.selector === selector));
    if (!named) throw new ForbiddenError(`No copyArtifacts step of ${job.name} copies from '${project}'${selector === 'lastSuccessful' ? '' : ` build #${selector}`}`);
  }

  /** Streams one of the job's files to the agent running a build of it. */
  async openJobFile(agent: AgentRef, buildId: number, path: string): Promise<{ size: number; stream: Readable }> {
    checkPath(path);
    const row = await this.#pool.transaction((tx) => lockOwnedBuild(tx, agent, buildId));
    return openById(this.#pool, row.job_id, path);
  }

  /** Streams a file of a running build to the agent running it. */
  async openFile(agent: AgentRef, buildId: number, parameter: string): Promise<{ size: number; stream: Readable }> {
    const file = await this.#pool.transaction(async (tx) => {
      await lockOwnedBuild(tx, agent, buildId);
      return tx.maybeOne(sql.type(SizeRow)`SELECT size FROM build_files WHERE build_id = ${buildId} AND parameter = ${parameter}`);
    });
    if (!file) throw new NotFoundError(`Build ${buildId} has no file for parameter ${parameter}`);
    return { size: file.size, stream: readChunks(this.#pool, sql.fragment`build_file_chunks WHERE build_id = ${buildId} AND parameter = ${parameter}`, file.size) };
  }

  #spec(publicUrl: string, row: BuildRow, config: Job, number: number, logOffset: number, files: z.infer<typeof StartFiles>, credentials: Record<string, CredentialSecret>, history: ScmHistory): BuildSpec {
    const parameters = plainParameters(row, this.#secrets);
    const passwords = config.parameters.filter((p) => p.type === 'password').map((p) => parameters[p.name]!);
    return {
      buildId: row.id,
      jobName: config.name,
      number,
      steps: config.steps,
      env: buildEnvironment({ job: config, number, causes: row.causes, parameters, publicUrl }),
      masks: [...new Set([...passwords, ...Object.values(credentials).flatMap(credentialMasks)])].filter((v) => v.length > 0),
      timeoutMinutes: config.timeoutMinutes,
      logOffset,
      files: files.build_files,
      jobFiles: files.job_files,
      archive: config.publishers.flatMap((p) =>
        p.type === 'archiveArtifacts' ? [{ artifacts: p.artifacts, excludes: p.excludes, allowEmptyArchive: p.allowEmptyArchive, onlyIfSuccessful: p.onlyIfSuccessful }] : [],
      ),
      triggerFiles: triggerFiles(config),
      scm: config.scm,
      credentialBindings: config.credentialBindings,
      sshAgent: config.sshAgent,
      // Exactly what the job binds or uses (CredentialsService.forBuild): nothing else.
      credentials,
      scmHistory: history,
      scmRevision: config.scm ? causedRevision(row.causes) : null,
    };
  }
}

/** Whether the build was given to this agent session (a build from before sessions: to the name). */

/**
 * A finish's properties texts are taken only for the publishers the spec asked to read a
 * properties file for (spec.triggerFiles), once each; anything else is a 400, not a parameter.
 */
function checkProperties(job: Job, properties: FinishRequest['properties']): void {
  const asked = new Set(triggerFiles(job).map((f) => f.publisher));
  const seen = new Set<number>();
  for (const [i, p] of (properties ?? []).entries()) {
    if (!asked.has(p.publisher)) throw new ValidationError(`properties[${i}]: publisher ${p.publisher} of ${job.name} reads no properties file`, [{ field: `properties.${i}.publisher`, message: 'not asked for' }]);
    if (seen.has(p.publisher)) throw new ValidationError(`properties[${i}]: publisher ${p.publisher} is sent twice`, [{ field: `properties.${i}.publisher`, message: 'duplicate' }]);
    seen.add(p.publisher);
  }
}

/** lockOwnedBuild on the raw pool: locks the build row, checks it is the agent session's, answers its console size. */
async function lockOwnedLog(client: RawClient, agent: AgentRef, buildId: number): Promise<number> {
  const locked = await client.query<{ agent_name: string | null; agent_session: string | null; state: BuildRow['state']; log_size: string }>(
    'SELECT agent_name, agent_session, state, log_size FROM builds WHERE id = $1 FOR UPDATE', [buildId]);
  return Number(checkOwned(locked.rows[0], agent, buildId).log_size);
}
