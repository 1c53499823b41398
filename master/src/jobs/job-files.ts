/** Files attached to a job (the only owner of job_files); streamed in and out in chunks. */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { workspacePathProblem } from '../../../shared/src/workspace-path.ts';
import { DomainError, NotFoundError, ValidationError } from '../errors.ts';
import { readChunks } from '../db/chunk-stream.ts';
import type { JobsService } from './jobs.ts';

export const MAX_JOB_FILE_BYTES = 1024 ** 3;
const CHUNK = 1024 * 1024;

const FileRow = z.object({ path: z.string(), size: z.coerce.number(), sha256: z.string(), updatedAt: z.number() });
export type JobFile = { path: string; size: number; sha256: string };

export function checkPath(path: string): string {
  const problem = workspacePathProblem(path);
  if (problem) throw new ValidationError(`Invalid file path '${path}': ${problem}`, [{ field: 'path', message: problem }]);
  return path;
}

export class JobFilesService {
  readonly #pool: DatabasePool;
  readonly #jobs: JobsService;
  constructor(pool: DatabasePool, jobs: JobsService) {
    this.#pool = pool;
    this.#jobs = jobs;
  }

  /** Stores (or replaces) a file from a stream, in one transaction; over `limit` bytes is a 413. */
  async put(jobName: string, path: string, body: Readable, limit = MAX_JOB_FILE_BYTES): Promise<JobFile & { created: boolean }> {
    checkPath(path);
    const { id } = await this.#jobs.find(jobName);
    return this.#pool.transaction(async (tx) => {
      const created = (await tx.query(sql.unsafe`DELETE FROM job_files WHERE job_id = ${id} AND path = ${path}`)).rowCount === 0;
      await tx.query(sql.unsafe`INSERT INTO job_files (job_id, path, size, sha256) VALUES (${id}, ${path}, 0, ${'0'.repeat(64)})`);
      const hash = createHash('sha256');
      let size = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const data = Buffer.concat(pending);
        await tx.query(sql.unsafe`INSERT INTO job_file_chunks (job_id, path, start_offset, data) VALUES (${id}, ${path}, ${size - data.length}, ${sql.binary(data)})`);
        pending = [];
        pendingBytes = 0;
      };
      for await (const chunk of body) {
        const bytes = chunk as Buffer;
        size += bytes.length;
        if (size > limit) throw new DomainError(413, 'payload_too_large', `Job files are limited to ${limit} bytes`);
        hash.update(bytes);
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (pendingBytes >= CHUNK) await flush();
      }
      await flush();
      const sha256 = hash.digest('hex');
      await tx.query(sql.unsafe`UPDATE job_files SET size = ${size}, sha256 = ${sha256}, updated_at = now() WHERE job_id = ${id} AND path = ${path}`);
      return { path, size, sha256, created };
    });
  }

  async list(jobName: string, conn: CommonQueryMethods = this.#pool): Promise<JobFile[]> {
    const { id } = await this.#jobs.find(jobName, conn);
    return listById(conn, id);
  }

  async open(jobName: string, path: string): Promise<{ size: number; stream: Readable }> {
    checkPath(path);
    const { id } = await this.#jobs.find(jobName);
    return openById(this.#pool, id, path);
  }

  async delete(jobName: string, path: string): Promise<void> {
    checkPath(path);
    const { id } = await this.#jobs.find(jobName);
    const gone = await this.#pool.query(sql.unsafe`DELETE FROM job_files WHERE job_id = ${id} AND path = ${path}`);
    if (gone.rowCount === 0) throw new NotFoundError(`Job '${jobName}' has no file '${path}'`);
  }
}

export async function listById(conn: CommonQueryMethods, jobId: number): Promise<JobFile[]> {
  const rows = await conn.any(sql.type(FileRow)`SELECT path, size, sha256, 0::float8 AS "updatedAt" FROM job_files WHERE job_id = ${jobId} ORDER BY path`);
  return rows.map(({ path, size, sha256 }) => ({ path, size, sha256 }));
}

export async function openById(pool: DatabasePool, jobId: number, path: string): Promise<{ size: number; stream: Readable }> {
  const size = await pool.maybeOneFirst(sql.type(z.object({ size: z.coerce.number() }))`SELECT size FROM job_files WHERE job_id = ${jobId} AND path = ${path}`);
  if (size === null) throw new NotFoundError(`No job file '${path}'`);
  return { size, stream: readChunks(pool, sql.fragment`job_file_chunks WHERE job_id = ${jobId} AND path = ${path}`, size) };
}
