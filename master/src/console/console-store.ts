/**
 * The console's write side: bytes with offsets in build_log_chunks. Appends are idempotent (a
 * resent chunk's known bytes are skipped) and run under the build row's lock. Every row records
 * when it was stored (`written_at`, its column default): that is each line's time, at no cost to
 * the upload (console-times.ts reads it back).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { sql, type DatabaseTransactionConnection, type FragmentSqlToken } from 'slonik';
import type { RawClient } from '../db/raw-pool.ts';

/**
 * The INSERT of one console chunk, for a statement that also sets the build's log_size (as a
 * data-modifying CTE: one round trip where a build's start and finish each add a few lines).
 */
export function chunkInsert(buildId: number, offset: number, data: Buffer): FragmentSqlToken {
  return sql.fragment`INSERT INTO build_log_chunks (build_id, start_offset, data) VALUES (${buildId}, ${offset}, ${sql.binary(data)})`;
}

/** Appends bytes at the end of the log (caller holds the build row lock); returns the new size. */
export async function appendAtEnd(tx: DatabaseTransactionConnection, buildId: number, size: number, data: Buffer): Promise<number> {
  if (data.length === 0) return size;
  await tx.query(sql.unsafe`
    WITH chunk AS (${chunkInsert(buildId, size, data)})
    UPDATE builds SET log_size = ${size + data.length} WHERE id = ${buildId}`);
  return size + data.length;
}

export type OffsetAppend = { ok: true; size: number } | { ok: false; size: number };

/**
 * An upload's bytes are stored as rows of at most this much: each row is made of the request's
 * own socket chunks (about 64 KiB each), so nothing is copied to build it, and a read of
 * BYTES_PER_READ touches one or two rows.
 */
export const ROW_BYTES = 1024 * 1024;

/**
 * Appends an agent's upload, `chunks` as read off its request, that belongs at `offset` (the
 * caller holds the build row lock; it writes the new log_size). Bytes before the current end are
 * a resend and skipped; an offset past the end is a gap. With `copy`, the rows go through COPY
 * FROM STDIN in PostgreSQL's binary format, the chunks written as they are; without it (PGlite),
 * one INSERT per row.
 */
export async function appendChunks(client: RawClient, buildId: number, size: number, offset: number, chunks: readonly Buffer[], copy: boolean): Promise<OffsetAppend> {
  if (offset > size) return { ok: false, size };
  const rows = toRows(skipBytes(chunks, size - offset), size);
  if (rows.length === 0) return { ok: true, size };
  if (copy) {
    const parts: Buffer[] = [COPY_SIGNATURE];
    for (const row of rows) parts.push(copyRowHeader(buildId, row.start, row.length), ...row.parts);
    parts.push(COPY_TRAILER);
    await pipeline(Readable.from(parts), client.query(copyFrom('COPY build_log_chunks (build_id, start_offset, data) FROM STDIN (FORMAT binary)')));
  } else {
    for (const row of rows) {
      await client.query('INSERT INTO build_log_chunks (build_id, start_offset, data) VALUES ($1, $2, $3)', [buildId, row.start, Buffer.concat(row.parts, row.length)]);
    }
  }
  const last = rows.at(-1)!;
  return { ok: true, size: last.start + last.length };
}

function skipBytes(chunks: readonly Buffer[], skip: number): Buffer[] {
  const fresh: Buffer[] = [];
  for (const c of chunks) {
    if (skip >= c.length) skip -= c.length;
    else {
      fresh.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
  }
  return fresh;
}

type Row = { start: number; length: number; parts: Buffer[] };
/** Consecutive chunks grouped into rows of at most ROW_BYTES (a larger chunk is cut, not copied). */
function toRows(chunks: Buffer[], start: number): Row[] {
  const rows: Row[] = [];
  let row: Row | undefined;
  for (let c of chunks) {
    while (c.length > 0) {
      if (!row || row.length === ROW_BYTES) rows.push((row = { start, length: 0, parts: [] }));
      const piece = c.subarray(0, ROW_BYTES - row.length);
      row.parts.push(piece);
      row.length += piece.length;
      start += piece.length;
      c = c.subarray(piece.length);
    }
  }
  return rows;
}

/** PostgreSQL's binary COPY format: signature, flags (0), header extension length (0). */
export const COPY_SIGNATURE = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** A field count of -1 ends the data. */
const COPY_TRAILER = Buffer.from([0xff, 0xff]);
/** A row's three fields up to the bytes of `data`: build_id and start_offset (int8), then data's length. */
function copyRowHeader(buildId: number, start: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(2 + 12 + 12 + 4);
  h.writeInt16BE(3, 0);
  h.writeInt32BE(8, 2);
  h.writeBigInt64BE(BigInt(buildId), 6);
  h.writeInt32BE(8, 14);
  h.writeBigInt64BE(BigInt(start), 18);
  h.writeInt32BE(length, 26);
  return h;
}
