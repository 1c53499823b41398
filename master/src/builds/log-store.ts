/**
 * The console store: bytes with offsets in build_log_chunks. Appends are idempotent (a resent
 * chunk's known bytes are skipped) and run under the build row's lock; reads stream chunk by chunk
 * from any offset, never holding a whole log in memory.
 */
import { Readable } from 'node:stream';
import { sql, type DatabaseTransactionConnection, type DatabasePool, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';

/** Appends bytes at the end of the log (caller holds the build row lock); returns the new size. */
export async function appendAtEnd(tx: DatabaseTransactionConnection, buildId: number, size: number, data: Buffer): Promise<number> {
  if (data.length === 0) return size;
  await tx.query(sql.unsafe`INSERT INTO build_log_chunks (build_id, start_offset, data) VALUES (${buildId}, ${size}, ${sql.binary(data)})`);
  await tx.query(sql.unsafe`UPDATE builds SET log_size = ${size + data.length} WHERE id = ${buildId}`);
  return size + data.length;
}

export type OffsetAppend = { ok: true; size: number } | { ok: false; size: number };

/**
 * Appends `data` that belongs at `offset`: bytes before the current end are a resend and skipped;
 * an offset past the end is a gap (the sender must resend from `size`).
 */
export async function appendAtOffset(tx: DatabaseTransactionConnection, buildId: number, size: number, offset: number, data: Buffer): Promise<OffsetAppend> {
  if (offset > size) return { ok: false, size };
  const fresh = data.subarray(Math.min(data.length, size - offset));
  return { ok: true, size: await appendAtEnd(tx, buildId, size, fresh) };
}

const Chunk = z.object({ start_offset: z.coerce.number(), data: z.instanceof(Buffer) });
const CHUNKS_PER_READ = 8;
/**
 * Chunks starting more than this far past the read position wait for the next query: agents send
 * up to LOG_BATCH_BYTES (4 MiB) per chunk, and 8 of those at once would hold 32 MiB in memory,
 * twice more while pg decodes them from hex.
 */
const BYTES_PER_READ = 1024 * 1024;

/** Streams the log from byte `start` up to byte `end` (exclusive). */
export function readLog(pool: DatabasePool, buildId: number, start: number, end: number): Readable {
  return readChunks(pool, sql.fragment`build_log_chunks WHERE build_id = ${buildId}`, end, start);
}

/**
 * Streams bytes [start, end) stored as (start_offset, data) chunks in `source` — a table and the
 * condition that picks one stream's chunks — a few chunks per query.
 */
export function readChunks(pool: DatabasePool, source: FragmentSqlToken, end: number, start = 0): Readable {
  let position = start;
  return new Readable({
    async read() {
      try {
        if (position >= end) return void this.push(null);
        const chunks = await pool.any(sql.type(Chunk)`
          SELECT start_offset, data FROM ${source}
            AND start_offset + length(data) > ${position} AND start_offset < ${Math.min(end, position + BYTES_PER_READ)}
          ORDER BY start_offset LIMIT ${CHUNKS_PER_READ}`);
        if (chunks.length === 0) return void this.push(null);
        for (const c of chunks) {
          const from = Math.max(0, position - c.start_offset);
          const to = Math.min(c.data.length, end - c.start_offset);
          if (to > from) this.push(c.data.subarray(from, to));
          position = c.start_offset + to;
        }
      } catch (err) {
        this.destroy(err as Error);
      }
    },
  });
}
