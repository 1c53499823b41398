/**
 * The jobs service: the only code that writes the jobs table. A change is announced here, once
 * (dashboards follow job definitions live; agents re-read their queues), and a deleted job takes
 * its builds (the database cascades) and its artifact files with it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { BuildResult } from '../../../shared/src/build.ts';
import { Job, JobName, StoredJobDocument, type JobInput } from '../../../shared/src/job.ts';
import type { JobSummary } from '../../../shared/src/api-responses.ts';
import { permalinksOf, type Permalinks } from './permalinks.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import type { EventPublisher } from '../events/event-bus.ts';
import { SecretBox } from '../secret-box.ts';
import { jobRelations } from './job-relations.ts';


// Row schemas are built once: zod compiles each new schema on its first parse.
const NextBuildNumberRow = z.object({ next_build_number: z.number() });
// Row schemas are built once: zod compiles each new schema on its first parse.
const PreservedRow = z.object({ config_xml_preserved: z.unknown() });
const ConfigPreservedRow = z.object({ config: z.unknown(), config_xml_preserved: z.unknown() });
const NameRow = z.object({ name: z.string() });
const IdNameRow = z.object({ id: z.coerce.number(), name: z.string() });
const ConfigRow = z.object({ config: z.unknown() });
const NumberConfigRow = z.object({ number: z.number(), config: z.unknown() });
/** What the API shows for a password parameter's default: the value itself never leaves the master. */
export const HIDDEN = '****';

const JobRow = z.object({ id: z.coerce.number(), name: z.string(), config: z.unknown(), next_build_number: z.number() });
export interface StoredJob {
  id: number;
  job: Job;
  nextBuildNumber: number;
}

const BuildSummary = z.object({ number: z.number(), result: BuildResult.nullable(), started_at: z.number().nullable(), finished_at: z.number().nullable() }).nullable();
const JobSummaryRow = z.object({
  name: z.string(),
  // Only what the list shows, read in SQL: parsing 1,000 whole job documents is most of the list's cost.
  description: z.string().nullable(),
  disabled: z.boolean(),
  parameterized: z.boolean(),
  building: z.boolean(),
  queued: z.boolean(),
  last_build: BuildSummary,
  last_success: BuildSummary,
  last_failure: BuildSummary,
  last_result: BuildResult.nullable(),
  recent: z.array(z.string()),
});

export interface SaveOptions {
  /** What the config.xml the job came from held beyond the document; undefined keeps what is stored. */
  preservedXml?: unknown;
}

/** Who hears of a job's changes. */
export interface JobChanges {
  events: EventPublisher;
  /** A job's label expression may need a queue agents do not watch yet. */
  workConfigChanged(): void;
  /** A job was deleted: its artifact files go too. */
  removeArtifacts(jobId: number): Promise<void>;
}

export class JobsService {
  readonly #pool: DatabasePool;
  readonly #secrets: SecretBox;
  readonly #changes: JobChanges;
  constructor(pool: DatabasePool, secrets: SecretBox, changes: JobChanges) {
    this.#pool = pool;
    this.#secrets = secrets;
    this.#changes = changes;
  }

  #changed(name: string, opts: { workConfig?: boolean } = {}): void {
    if (opts.workConfig) this.#changes.workConfigChanged();
    this.#changes.events.publish({ type: 'job.changed', job: name });
  }

  /** `opts.preservedXml`: what the config.xml it came from held beyond the document (opaque here; master/src/jenkins/ reads it). */
  async create(input: unknown, opts: SaveOptions = {}): Promise<Job> {
    const job = parseInput(Job, input, 'job');
    const stored = this.#sealDefaults(job, undefined);
    await this.#refuseTaken(job.name);
    const preserved = opts.preservedXml === undefined ? null : sql.jsonb(opts.preservedXml as never);
    await this.#pool.query(sql.unsafe`INSERT INTO jobs (name, config, config_xml_preserved) VALUES (${job.name}, ${sql.jsonb(stored as never)}, ${preserved})`).catch(async (err) => {
      if ((err as Error).name === 'UniqueIntegrityConstraintViolationError') await this.#refuseTaken(job.name); // created meanwhile
      throw err;
    });
    this.#changed(job.name, { workConfig: true });
    return this.#forDisplay(stored);
  }

  /**
   * Replaces the whole document. Renaming is done by sending another `name`. What a config.xml
   * held beyond the document stays as it is, unless `opts.preservedXml` replaces it (a posted
   * config.xml): saving from the UI or the REST API never loses a plugin's configuration.
   * Saving what is stored already (secrets compared in plain text) changes nothing: no write, no
   * announcement, updated_at stays, and `changed` is false (jobs as code, a JJB `update` of
   * unchanged jobs, a configure page saved as it was).
   */
  async update(name: string, input: unknown, opts: SaveOptions = {}): Promise<{ job: Job; changed: boolean }> {
    const current = await this.find(name);
    const job = parseInput(Job, input, 'job');
    const stored = this.#sealDefaults(job, current.job);
    if (sameJson(this.#opened(stored), this.#opened(current.job)) && (opts.preservedXml === undefined || sameJson(opts.preservedXml, await this.#preservedOf(current.id)))) {
      return { job: this.#forDisplay(current.job), changed: false };
    }
    if (job.name.toLowerCase() !== current.job.name.toLowerCase()) {
      await this.#refuseTaken(job.name);
    }
    const preserved = opts.preservedXml === undefined ? sql.fragment`config_xml_preserved` : sql.jsonb(opts.preservedXml as never);
    await this.#pool.query(
      sql.unsafe`UPDATE jobs SET name = ${job.name}, config = ${sql.jsonb(stored as never)}, config_xml_preserved = ${preserved}, updated_at = now() WHERE id = ${current.id}`,
    );
    if (job.name !== current.job.name) this.#changed(current.job.name);
    this.#changed(job.name, { workConfig: true });
    return { job: this.#forDisplay(stored), changed: true };
  }

  async #preservedOf(id: number): Promise<unknown> {
    return this.#pool.oneFirst(sql.type(PreservedRow)`SELECT config_xml_preserved FROM jobs WHERE id = ${id}`);
  }

  /** The job with its sealed secrets opened, to compare two versions (sealing the same secret twice gives different text). */
  #opened(job: Job): Job {
    return withSecrets(job, (v) => (v !== undefined && SecretBox.isSealed(v) ? this.#secrets.open(v) : v));
  }

  /** Names are unique case-insensitively: a clash names the existing job as it is spelled. */
  async #refuseTaken(name: string): Promise<void> {
    const existing = await this.#pool.maybeOneFirst(sql.type(NameRow)`SELECT name FROM jobs WHERE lower(name) = lower(${name})`);
    if (existing !== null) throw new ConflictError(`A job named '${existing}' already exists`);
  }

  /** A copy of the stored document (secrets still sealed) under a new name: Jenkins' createItem?mode=copy. */
  async copy(from: string, to: string): Promise<Job> {
    const source = await this.find(from);
    const name = parseInput(JobName, to, 'job name');
    await this.#refuseTaken(name);
    const stored = { ...source.job, name };
    // The copy takes what the source's config.xml held beyond its document too.
    await this.#pool.query(sql.unsafe`
      INSERT INTO jobs (name, config, config_xml_preserved) SELECT ${name}, ${sql.jsonb(stored as never)}, config_xml_preserved FROM jobs WHERE id = ${source.id}`).catch(async (err) => {
      if ((err as Error).name === 'UniqueIntegrityConstraintViolationError') await this.#refuseTaken(name);
      throw err;
    });
    this.#changed(name, { workConfig: true });
    return this.#forDisplay(stored);
  }

  /** Renames a job, keeping its document (Jenkins' doRename): its builds stay with it. */
  async rename(from: string, to: string): Promise<Job> {
    const current = await this.find(from);
    const name = parseInput(JobName, to, 'job name');
    if (name.toLowerCase() !== current.job.name.toLowerCase()) await this.#refuseTaken(name);
    const stored = { ...current.job, name };
    await this.#pool.query(sql.unsafe`UPDATE jobs SET name = ${name}, config = ${sql.jsonb(stored as never)}, updated_at = now() WHERE id = ${current.id}`);
    this.#changed(current.job.name);
    this.#changed(name);
    return this.#forDisplay(stored);
  }

  /** Raises the next build number (the next-build-number plugin; python-jenkins' set_next_build_number); a lower one is ignored, as there: numbers are never reused. */
  async raiseNextBuildNumber(name: string, next: number): Promise<number> {
    const current = await this.find(name);
    return this.#pool.oneFirst(sql.type(NextBuildNumberRow)`
      UPDATE jobs SET next_build_number = greatest(next_build_number, ${next}) WHERE id = ${current.id} RETURNING next_build_number`);
  }

  async setDisabled(name: string, disabled: boolean): Promise<Job> {
    const current = await this.find(name);
    const stored = { ...current.job, disabled };
    await this.#pool.query(sql.unsafe`UPDATE jobs SET config = ${sql.jsonb(stored as never)}, updated_at = now() WHERE id = ${current.id}`);
    this.#changed(current.job.name);
    return this.#forDisplay(stored);
  }

  /** Deletes the job, its builds (the database cascades) and its artifact files. */
  async delete(name: string): Promise<void> {
    const gone = await this.#pool.maybeOne(sql.type(IdNameRow)`DELETE FROM jobs WHERE lower(name) = lower(${name}) RETURNING id, name`);
    if (gone === null) throw new NotFoundError(`No job named '${name}'`);
    await this.#changes.removeArtifacts(gone.id);
    this.#changed(gone.name);
  }

  /** The job as the API shows it (secrets as "****") and what its config.xml held beyond it (null: none). */
  async withPreservedXml(name: string): Promise<{ job: Job; preservedXml: unknown }> {
    const row = await this.#pool.maybeOne(sql.type(ConfigPreservedRow)`
      SELECT config, config_xml_preserved FROM jobs WHERE lower(name) = lower(${name})`);
    if (!row) throw new NotFoundError(`No job named '${name}'`);
    return { job: this.#forDisplay(StoredJobDocument.parse(row.config)), preservedXml: row.config_xml_preserved };
  }

  /** The stored job, password defaults still sealed (for the builds service); `conn` inside a transaction. */
  async find(name: string, conn: CommonQueryMethods = this.#pool): Promise<StoredJob> {
    const row = await conn.maybeOne(sql.type(JobRow)`SELECT id, name, config, next_build_number FROM jobs WHERE lower(name) = lower(${name})`);
    if (!row) throw new NotFoundError(`No job named '${name}'`);
    return { id: row.id, job: StoredJobDocument.parse(row.config), nextBuildNumber: row.next_build_number };
  }

  /** A job's stored config by id (inside a transaction: `conn`). */
  async findById(conn: CommonQueryMethods, id: number): Promise<{ config: unknown }> {
    const config = await conn.maybeOneFirst(sql.type(ConfigRow)`SELECT config FROM jobs WHERE id = ${id}`);
    if (config === null) throw new NotFoundError(`No job ${id}`);
    return { config };
  }

  /**
   * A build of the job starts: takes the next build number, and locks the job row until the
   * transaction ends (a refused start rolls the number back). Answers the number and the config.
   */
  async takeBuildNumber(tx: CommonQueryMethods, jobId: number): Promise<{ number: number; config: unknown }> {
    return tx.one(sql.type(NumberConfigRow)`
      UPDATE jobs SET next_build_number = next_build_number + 1 WHERE id = ${jobId} RETURNING next_build_number - 1 AS number, config`);
  }

  /** The job as people see it, with the jobs it triggers and the jobs that trigger it. */
  /** The job's document, its relations and its permalinks (the build number each names, or null). */
  async get(name: string): Promise<Job & ReturnType<typeof jobRelations> & { permalinks: Permalinks }> {
    const stored = await this.find(name);
    const job = this.#forDisplay(stored.job);
    const all = await this.#pool.anyFirst(sql.type(ConfigRow)`SELECT config FROM jobs`);
    return { ...job, ...jobRelations(job.name, all.map((c) => StoredJobDocument.parse(c))), permalinks: await permalinksOf(this.#pool, stored.id) };
  }

  /** Every job with its status: last builds, whether it is building, health of the last 5 builds. */
  async list(): Promise<JobSummary[]> {
    // Six small index look-ups per job: PostgreSQL's JIT compiler, which the row count tempts, costs
    // more than it saves (1,000 jobs: 25–100 ms with it, 10–25 ms without).
    const rows = await this.#pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`SET LOCAL jit = off`);
      return tx.any(sql.type(JobSummaryRow)`
      SELECT j.name, j.config->>'description' AS description,
        coalesce((j.config->>'disabled')::boolean, false) AS disabled,
        coalesce(jsonb_array_length(j.config->'parameters'), 0) > 0 AS parameterized,
        EXISTS (SELECT 1 FROM builds b WHERE b.job_id = j.id AND b.state = 'running') AS building,
        EXISTS (SELECT 1 FROM builds b WHERE b.job_id = j.id AND b.state = 'queued') AS queued,
        (SELECT to_jsonb(x) FROM (SELECT number, result, (extract(epoch FROM started_at) * 1000)::float8 AS started_at, (extract(epoch FROM finished_at) * 1000)::float8 AS finished_at
           FROM builds b WHERE b.job_id = j.id AND b.number IS NOT NULL ORDER BY number DESC LIMIT 1) x) AS last_build,
        (SELECT to_jsonb(x) FROM (SELECT number, result, (extract(epoch FROM started_at) * 1000)::float8 AS started_at, (extract(epoch FROM finished_at) * 1000)::float8 AS finished_at
           FROM builds b WHERE b.job_id = j.id AND b.result = 'SUCCESS' ORDER BY number DESC LIMIT 1) x) AS last_success,
        (SELECT to_jsonb(x) FROM (SELECT number, result, (extract(epoch FROM started_at) * 1000)::float8 AS started_at, (extract(epoch FROM finished_at) * 1000)::float8 AS finished_at
           FROM builds b WHERE b.job_id = j.id AND b.result = 'FAILURE' ORDER BY number DESC LIMIT 1) x) AS last_failure,
        (SELECT result FROM builds b WHERE b.job_id = j.id AND b.state = 'finished' ORDER BY number DESC LIMIT 1) AS last_result,
        coalesce((SELECT array_agg(result ORDER BY number DESC) FROM (SELECT number, result FROM builds b
           WHERE b.job_id = j.id AND b.result IN ('SUCCESS', 'UNSTABLE', 'FAILURE') ORDER BY number DESC LIMIT 5) r), '{}') AS recent
      FROM jobs j ORDER BY lower(j.name)`);
    });
    return rows.map((r) => {
      const summary = (b: z.infer<typeof BuildSummary>) =>
        b && { number: b.number, result: b.result, startedAt: iso(b.started_at), durationMs: b.finished_at && b.started_at ? Math.round(b.finished_at - b.started_at) : null };
      const report = buildStability(r.recent);
      return {
        name: r.name,
        description: r.description ?? '',
        disabled: r.disabled,
        parameterized: r.parameterized,
        // The last completed build's result (a running build has none yet); NOT_BUILT: never built.
        status: r.disabled ? 'disabled' : (r.last_result ?? (r.building ? null : 'NOT_BUILT')),
        building: r.building,
        inQueue: r.queued,
        lastBuild: summary(r.last_build),
        lastSuccessfulBuild: summary(r.last_success),
        lastFailedBuild: summary(r.last_failure),
        lastDurationMs: summary(r.last_build)?.durationMs ?? null,
        /** Jenkins' weather, 0–100 (see buildStability); null without a conclusive build. */
        health: report?.score ?? null,
        /** "Build stability: 1 out of the last 3 builds failed." */
        healthDescription: report?.description ?? null,
      };
    });
  }

  /** Is `token` this job's remote trigger token? Compared in constant time. */
  async remoteTokenMatches(name: string, token: string): Promise<boolean> {
    return this.#sealedMatches((await this.find(name)).job.triggers.remoteToken, token);
  }

  /** Is `token` the job's GitLab secret token (X-Gitlab-Token)? Constant time; a job without one takes none. */
  gitlabTokenMatches(stored: StoredJob, token: string): boolean {
    return this.#sealedMatches(stored.job.triggers.gitlabSecretToken, token);
  }

  /** The enabled jobs whose Generic Webhook Trigger token is `token` (each compared in constant time). */
  async genericWebhookJobs(token: string): Promise<StoredJob[]> {
    const rows = await this.#pool.any(sql.type(JobRow)`
      SELECT id, name, config, next_build_number FROM jobs WHERE jsonb_typeof(config -> 'triggers' -> 'genericWebhook') = 'object' ORDER BY lower(name)`);
    return rows
      .map((row) => ({ id: row.id, job: StoredJobDocument.parse(row.config), nextBuildNumber: row.next_build_number }))
      .filter((s) => !s.job.disabled && this.#sealedMatches(s.job.triggers.genericWebhook?.token, token));
  }

  #sealedMatches(sealed: string | undefined, token: string): boolean {
    if (!sealed || !SecretBox.isSealed(sealed)) return false;
    const digest = (s: string) => createHash('sha256').update(s).digest();
    return timingSafeEqual(digest(this.#secrets.open(sealed)), digest(token));
  }

  /** The secrets sealed for storage; **** keeps what `previous` had (the API shows a stored secret so). */
  #sealDefaults(job: Job, previous: Job | undefined): Job {
    // The generic webhook's token is required: **** must have a stored one to keep.
    if (job.triggers.genericWebhook?.token === HIDDEN && !previous?.triggers.genericWebhook?.token) {
      throw new ValidationError('Invalid job: triggers.genericWebhook.token: **** keeps a stored token, and this job has none', [
        { field: 'triggers.genericWebhook.token', message: '**** keeps a stored token, and this job has none' },
      ]);
    }
    return withSecrets(job, (value, before) => (value === HIDDEN ? before : value === undefined ? undefined : this.#secrets.seal(value)), previous);
  }

  #forDisplay(job: Job): Job {
    return withSecrets(job, (value) => (value === undefined ? undefined : HIDDEN));
  }
}

/**
 * Every secret field of a job document — password parameters' defaults and the trigger tokens
 * (remote, GitLab, generic webhook) — mapped by `f` (the value, and the same field of `previous`).
 * Sealing, opening and showing them all go through here, so a new secret field is added once.
 */
function withSecrets(job: Job, f: (value: string | undefined, before: string | undefined) => string | undefined, previous?: Job): Job {
  const parameters = job.parameters.map((p) => {
    if (p.type !== 'password') return p;
    const old = previous?.parameters.find((q) => q.name === p.name && q.type === 'password');
    return { ...p, default: f(p.default, old?.type === 'password' ? old.default : undefined) };
  });
  const { remoteToken, gitlabSecretToken, genericWebhook } = job.triggers;
  const before = previous?.triggers;
  return {
    ...job,
    parameters,
    triggers: {
      ...job.triggers,
      remoteToken: f(remoteToken, before?.remoteToken),
      gitlabSecretToken: f(gitlabSecretToken, before?.gitlabSecretToken),
      genericWebhook: genericWebhook && { ...genericWebhook, token: f(genericWebhook.token, before?.genericWebhook?.token) ?? genericWebhook.token },
    },
  };
}

/** Equal as stored JSON: key order and undefined fields do not count. */
const sameJson = (a: unknown, b: unknown) => isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Jenkins' build stability (Job.getBuildStabilityHealthReport): over the last up to 5 builds that
 * ended SUCCESS, UNSTABLE or FAILURE (aborted and not-built ones say nothing), the share that did
 * not fail, and a sentence that counts the builds actually looked at.
 */
export function buildStability(recent: string[]): { score: number; description: string } | null {
  const total = recent.length;
  if (total === 0) return null;
  const failed = recent.filter((r) => r === 'FAILURE').length;
  const said = failed === 0 ? 'No recent builds failed.' : failed === total ? 'All recent builds failed.' : `${failed} out of the last ${total} builds failed.`;
  return { score: Math.floor((100 * (total - failed)) / total), description: `Build stability: ${said}` };
}
