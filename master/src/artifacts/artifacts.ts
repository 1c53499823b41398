/**
 * Build artifacts (the only owner of build_artifacts). The agent running a build uploads the files
 * its archiveArtifacts publishers matched; each is streamed to a temporary file, then renamed to
 * `<dir>/<job id>/<build id>/<path>` in the transaction that records its size and sha256. People
 * list, download and zip them; a copyArtifacts step of a running build fetches another build's.
 * Removing builds (the discarder) or a job removes their directories.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { sql, type DatabasePool } from 'slonik';
import yazl from 'yazl';
import { z } from 'zod';
import { MAX_ARTIFACT_BYTES, type Artifact, type CopyArtifactsSource, type CopySelector } from '../../../shared/src/agent-protocol.ts';
import { workspacePathProblem } from '../../../shared/src/workspace-path.ts';
import { lockOwnedBuild, type AgentRef } from '../builds/build-rows.ts';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { spoolToFile } from '../http/spool.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const SizeRow = z.object({ size: z.coerce.number() });
const IdNameRow = z.object({ id: z.coerce.number(), name: z.string() });
const ArtifactRow = z.object({ path: z.string(), size: z.coerce.number(), sha256: z.string(), storedAt: z.number() });
export type StoredArtifact = z.infer<typeof ArtifactRow>;

export function checkArtifactPath(path: string): string {
  const problem = workspacePathProblem(path);
  if (problem) throw new ValidationError(`Invalid artifact path '${path}': ${problem}`, [{ field: 'path', message: problem }]);
  return path;
}

const tooLarge = (limit: number) => new DomainError(413, 'payload_too_large', `Artifacts are limited to ${limit} bytes per file`);

/**
 * Refuses (403/404/409) unless build `buildId` runs on this agent session and its job has a
 * copyArtifacts step naming `project` (and, for a build number, selecting it or the latest): an
 * agent reaches only what its build's spec names.
 */
export type CopyCheck = (agent: AgentRef, buildId: number, project: string, selector: CopySelector) => Promise<void>;

export class ArtifactsService {
  readonly #pool: DatabasePool;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #limit: number;
  readonly #copyCheck: CopyCheck;
  constructor(deps: { pool: DatabasePool; dir: string; log: Logger; maxBytes?: number; copyCheck: CopyCheck }) {
    this.#copyCheck = deps.copyCheck;
    this.#pool = deps.pool;
    this.#dir = resolve(deps.dir);
    this.#log = deps.log;
    this.#limit = deps.maxBytes ?? MAX_ARTIFACT_BYTES;
  }

  /**
   * Stores one file of a running build, sent by the agent running it. The bytes go to a temporary
   * file first (no lock held while they stream); the row and the file's final place are written
   * together, under the build's lock and only if the build still runs on this agent.
   */
  async upload(agent: AgentRef, buildId: number, path: string, body: Readable, declaredLength?: number): Promise<Artifact> {
    checkArtifactPath(path);
    if (declaredLength !== undefined && declaredLength > this.#limit) throw tooLarge(this.#limit);
    const row = await this.#pool.transaction((tx) => lockOwnedBuild(tx, agent, buildId));
    const target = this.#fileOf(row.job_id, buildId, path);
    const incoming = join(this.#dir, '.incoming');
    await mkdir(incoming, { recursive: true, mode: 0o700 });
    const partial = join(incoming, `${buildId}-${randomBytes(8).toString('hex')}.part`);
    try {
      // Over the limit it stops reading without destroying the request: the 413 is answered, and
      // the rest of the body drained or the connection closed after it (http/unread-body.ts).
      const { size, sha256 } = await spoolToFile(body, partial, this.#limit, () => tooLarge(this.#limit), 0o644);
      await this.#pool.transaction(async (tx) => {
        await lockOwnedBuild(tx, agent, buildId); // not finished (or given away) while the bytes came
        await tx.query(sql.unsafe`
          INSERT INTO build_artifacts (build_id, path, size, sha256) VALUES (${buildId}, ${path}, ${size}, ${sha256})
          ON CONFLICT (build_id, path) DO UPDATE SET size = EXCLUDED.size, sha256 = EXCLUDED.sha256, stored_at = now()`);
        await place(partial, target, path);
      });
      return { path, size, sha256 };
    } finally {
      await rm(partial, { force: true });
    }
  }

  /** A build's artifacts, by path. */
  async list(buildId: number): Promise<StoredArtifact[]> {
    return [
      ...(await this.#pool.any(sql.type(ArtifactRow)`
        SELECT path, size, sha256, stored_at AS "storedAt" FROM build_artifacts WHERE build_id = ${buildId} ORDER BY path`)),
    ];
  }

  /** One artifact's bytes (only a recorded path is ever opened). */
  async open(build: { jobId: number; buildId: number; label: string }, path: string): Promise<{ size: number; stream: Readable }> {
    checkArtifactPath(path);
    const size = await this.#pool.maybeOneFirst(sql.type(SizeRow)`
      SELECT size FROM build_artifacts WHERE build_id = ${build.buildId} AND path = ${path}`);
    if (size === null) throw new NotFoundError(`${build.label} has no artifact '${path}'`);
    const file = this.#fileOf(build.jobId, build.buildId, path);
    // Open before answering, so a file missing on disk is an error response, not a cut stream.
    const stream = createReadStream(file);
    await new Promise<void>((ok, fail) => {
      stream.once('open', () => ok());
      stream.once('error', fail);
    });
    return { size, stream };
  }

  /**
   * A zip of all the build's artifacts, streamed (each file is opened when its turn comes), under
   * `archive/` as Jenkins' archive.zip has them. The folder also keeps every legal artifact name
   * an entry: yazl refuses `C:evil.txt` as a path with a drive (an unzipper on Windows would write
   * it outside the target folder); `archive/C:evil.txt` is relative everywhere.
   */
  zip(build: { jobId: number; buildId: number }, artifacts: readonly StoredArtifact[]): Readable {
    const zip = new yazl.ZipFile();
    for (const a of artifacts) {
      const file = this.#fileOf(build.jobId, build.buildId, a.path);
      zip.addReadStreamLazy(`archive/${a.path}`, { size: a.size, mtime: new Date(a.storedAt), compress: true }, (cb) => cb(null, createReadStream(file)));
    }
    const out = zip.outputStream as Readable;
    zip.on('error', (err: Error) => {
      this.#log.error({ err, buildId: build.buildId }, 'zipping artifacts failed');
      out.destroy(err);
    });
    zip.end();
    return out;
  }

  /**
   * The build a copyArtifacts step of running build `buildId` asks for: the latest SUCCESS or
   * UNSTABLE build of `project`, or its build `selector`, with all its artifacts.
   */
  async selectForCopy(agent: AgentRef, buildId: number, project: string, selector: CopySelector): Promise<CopyArtifactsSource> {
    await this.#copyCheck(agent, buildId, project, selector);
    const source = await this.#copySource(project, selector);
    return { project: source.jobName, number: source.number, artifacts: (await this.list(source.buildId)).map(({ path, size, sha256 }) => ({ path, size, sha256 })) };
  }

  /** One artifact of build `number` of `project`, for the agent running build `buildId`. */
  async openForCopy(agent: AgentRef, buildId: number, project: string, number: number, path: string): Promise<{ size: number; stream: Readable }> {
    checkArtifactPath(path);
    await this.#copyCheck(agent, buildId, project, number);
    const source = await this.#copySource(project, number);
    return this.open({ jobId: source.jobId, buildId: source.buildId, label: `Build #${number} of '${source.jobName}'` }, path);
  }

  /** Removes the artifact files of builds that were deleted. */
  async removeBuilds(jobId: number, buildIds: readonly number[]): Promise<void> {
    for (const id of buildIds) await this.#remove(join(this.#dir, String(jobId), String(id)));
  }

  /** Removes every artifact file of a job that was deleted. */
  async removeJob(jobId: number): Promise<void> {
    await this.#remove(join(this.#dir, String(jobId)));
  }

  async #remove(dir: string): Promise<void> {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      this.#log.error({ err, dir }, 'could not remove artifacts');
    }
  }

  async #copySource(project: string, selector: CopySelector): Promise<{ jobId: number; jobName: string; buildId: number; number: number }> {
    const job = await this.#pool.maybeOne(sql.type(IdNameRow)`
      SELECT id, name FROM jobs WHERE lower(name) = lower(${project})`);
    if (!job) throw new NotFoundError(`Unable to find project for artifact copy: ${project}`);
    const Build = z.object({ id: z.coerce.number(), number: z.number(), state: z.string() });
    const build =
      selector === 'lastSuccessful'
        ? await this.#pool.maybeOne(sql.type(Build)`
            SELECT id, number, state FROM builds WHERE job_id = ${job.id} AND state = 'finished' AND result IN ('SUCCESS', 'UNSTABLE')
            ORDER BY number DESC LIMIT 1`)
        : await this.#pool.maybeOne(sql.type(Build)`SELECT id, number, state FROM builds WHERE job_id = ${job.id} AND number = ${selector}`);
    if (!build) {
      const which = selector === 'lastSuccessful' ? 'no successful build' : `no build #${selector}`;
      throw new NotFoundError(`Unable to find a build for artifact copy from: ${job.name} (${which})`);
    }
    if (build.state !== 'finished') throw new NotFoundError(`Unable to copy artifacts from ${job.name} #${build.number}: it is still running`);
    return { jobId: job.id, jobName: job.name, buildId: build.id, number: build.number };
  }

  /** Where `path` of a build lives; never outside the build's directory. */
  #fileOf(jobId: number, buildId: number, path: string): string {
    const base = join(this.#dir, String(jobId), String(buildId));
    const file = resolve(base, checkArtifactPath(path));
    if (!file.startsWith(base + sep)) throw new ValidationError(`Invalid artifact path '${path}': leaves the build's archive`);
    return file;
  }
}

/** Renames the finished upload into place; a path that collides with a file or directory is a 409. */
async function place(partial: string, target: string, path: string): Promise<void> {
  try {
    await mkdir(dirname(target), { recursive: true });
    await rename(partial, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
      throw new ConflictError(`The artifact '${path}' collides with another artifact of this build (a file where a directory is needed, or the reverse)`);
    }
    throw err;
  }
}
