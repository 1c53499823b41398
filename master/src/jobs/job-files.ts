/**
 * Files attached to a job (the only owner of job_files); streamed in and out in chunks. An upload
 * is spooled to a temporary file at the client's pace before a transaction stores it, so a slow
 * client holds no database connection.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { workspacePathProblem } from '../../../shared/src/workspace-path.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { readChunks } from '../db/chunk-stream.ts';
import { payloadTooLarge, spoolPath, spoolToFile } from '../http/spool.ts';
import type { JobsService } from './jobs.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const SizeRow = z.object({ size: z.coerce.number() });
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

  /**
   * Stores (or replaces) a file from a stream; over `limit` bytes (declared or sent) is a 413, given
   * as soon as it is known. The bytes go to a temporary file first; the rows are written after.
   */
  async put(jobName: string, path: string, body: Readable, opts: { limit?: number; declaredLength?: number } = {}): Promise<JobFile & { created: boolean }> {
    const limit = opts.limit ?? MAX_JOB_FILE_BYTES;
    checkPath(path);
    const tooLarge = () => payloadTooLarge(`Job files are limited to ${limit} bytes`);
    if (opts.declaredLength !== undefined && opts.declaredLength > limit) throw tooLarge();
    await this.#jobs.find(jobName); // a missing job is a 404 before any byte is read
    const spooled = spoolPath('job-file');
    try {
      const { size, sha256 } = await spoolToFile(body, spooled, limit, tooLarge);
      return await this.#pool.transaction(async (tx) => {
        const { id } = await this.#jobs.find(jobName, tx);
        const created = (await tx.query(sql.unsafe`DELETE FROM job_files WHERE job_id = ${id} AND path = ${path}`)).rowCount === 0;
        await tx.query(sql.unsafe`INSERT INTO job_files (job_id, path, size, sha256) VALUES (${id}, ${path}, ${size}, ${sha256})`);
        let offset = 0;
        for await (const chunk of createReadStream(spooled, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
          await tx.query(sql.unsafe`INSERT INTO job_file_chunks (job_id, path, start_offset, data) VALUES (${id}, ${path}, ${offset}, ${sql.binary(chunk)})`);
          offset += chunk.length;
        }
        return { path, size, sha256, created };
      });
    } finally {
      await rm(spooled, { force: true });
    }
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
  const size = await pool.maybeOneFirst(sql.type(SizeRow)`SELECT size FROM job_files WHERE job_id = ${jobId} AND path = ${path}`);
  if (size === null) throw new NotFoundError(`No job file '${path}'`);
  return { size, stream: readChunks(pool, sql.fragment`job_file_chunks WHERE job_id = ${jobId} AND path = ${path}`, size) };
}
