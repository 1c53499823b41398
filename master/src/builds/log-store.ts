/**
 * The console store: bytes with offsets in build_log_chunks. Appends are idempotent (a resent
 * chunk's known bytes are skipped) and run under the build row's lock; reads stream chunk by chunk
 * from any offset, never holding a whole log in memory.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { sql, type DatabaseTransactionConnection, type DatabasePool, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';
import type { RawClient, RawPool } from '../db/raw-pool.ts';

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
const COPY_SIGNATURE = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
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

const Chunk = z.object({ start_offset: z.coerce.number(), data: z.instanceof(Buffer) });
const CHUNKS_PER_READ = 8;
/**
 * Chunks starting more than this far past the read position wait for the next query: agents send
 * up to LOG_BATCH_BYTES (4 MiB) per chunk, and 8 of those at once would hold 32 MiB in memory
 * (twice more where they come through slonik, as hex).
 */
const BYTES_PER_READ = 1024 * 1024;

/** Streams a build's console from byte `start` up to byte `end` (exclusive). */
export type LogReader = (buildId: number, start: number, end: number) => Readable;

/**
 * The console reader. Where the server takes COPY (not PGlite), each read is a bounded
 * `COPY (SELECT …) TO STDOUT (FORMAT binary)` on the raw pool: the bytes arrive as they are.
 * Through slonik, bytea comes as hex text — 2 MB of string per stored megabyte, to decode and
 * then collect: downloading a 200 MB console took the master from 120 to 210–230 MB of RSS.
 */
export function logReader(pool: DatabasePool, raw: RawPool): LogReader {
  if (!raw.copy) return (buildId, start, end) => readChunks(pool, sql.fragment`build_log_chunks WHERE build_id = ${buildId}`, end, start);
  return (buildId, start, end) =>
    chunkStream(start, end, async (position, until) => {
      const rows = parseBinaryCopy(Buffer.concat(await raw.copyOut(`
        COPY (SELECT start_offset, data FROM build_log_chunks
          WHERE build_id = ${int(buildId)} AND start_offset + length(data) > ${int(position)} AND start_offset < ${int(until)}
          ORDER BY start_offset LIMIT ${CHUNKS_PER_READ}) TO STDOUT (FORMAT binary)`)));
      return rows.map(([offset, data]) => ({ start_offset: Number(offset!.readBigInt64BE(0)), data: data! }));
    });
}

/** COPY takes no parameters: numbers go into its text, so they must be plain integers. */
function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

/** The tuples of PostgreSQL's binary COPY format, each field a view into `buf` (null: a NULL). */
export function parseBinaryCopy(buf: Buffer): (Buffer | null)[][] {
  if (buf.length === 0) return [];
  if (buf.length < 19 || !buf.subarray(0, 11).equals(COPY_SIGNATURE.subarray(0, 11))) throw new Error('not a binary COPY stream');
  let at = 11 + 4; // signature, flags
  at += 4 + buf.readUInt32BE(at); // header extension
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const fields = buf.readInt16BE(at);
    at += 2;
    if (fields === -1) return rows; // the trailer
    const row: (Buffer | null)[] = [];
    for (let i = 0; i < fields; i++) {
      const length = buf.readInt32BE(at);
      at += 4;
      if (length === -1) row.push(null);
      else {
        row.push(buf.subarray(at, at + length));
        at += length;
      }
    }
    rows.push(row);
  }
}

/**
 * Streams bytes [start, end) stored as (start_offset, data) chunks in `source` — a table and the
 * condition that picks one stream's chunks — a few chunks per query.
 */
export function readChunks(pool: DatabasePool, source: FragmentSqlToken, end: number, start = 0): Readable {
  return chunkStream(start, end, (position, until) =>
    pool.any(sql.type(Chunk)`
      SELECT start_offset, data FROM ${source}
        AND start_offset + length(data) > ${position} AND start_offset < ${until}
      ORDER BY start_offset LIMIT ${CHUNKS_PER_READ}`),
  );
}

/**
 * Bytes [start, end) of a stream stored as chunks: `fetch(position, until)` answers, in order, the
 * next few chunks holding bytes from `position` on and starting before `until` (a read's bound).
 */
function chunkStream(start: number, end: number, fetch: (position: number, until: number) => Promise<readonly { start_offset: number; data: Buffer }[]>): Readable {
  let position = start;
  return new Readable({
    async read() {
      try {
        if (position >= end) return void this.push(null);
        const chunks = await fetch(position, Math.min(end, position + BYTES_PER_READ));
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
