/**
 * The console's read side: any byte range of a build's console, as the stored rows' pieces with
 * the time each row was written (a line's time is its first byte's row's), or as plain bytes.
 */
import { Readable } from 'node:stream';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { CHUNKS_PER_READ, dataOf, pieceStream, type StoredPiece } from '../db/chunk-stream.ts';
import type { RawPool } from '../db/raw-pool.ts';
import { COPY_SIGNATURE } from './console-store.ts';

export interface ConsoleReader {
  /** Bytes [start, end) of a build's console, as pieces of its stored rows, in order. */
  pieces(buildId: number, start: number, end: number): AsyncGenerator<StoredPiece>;
  /** The same bytes as a byte stream. */
  bytes(buildId: number, start: number, end: number): Readable;
}

const Row = z.object({ start_offset: z.coerce.number(), data: z.instanceof(Buffer), at: z.coerce.number().nullable() });

/**
 * The console reader. Where the server takes COPY (not PGlite), each read is a bounded
 * `COPY (SELECT …) TO STDOUT (FORMAT binary)` on the raw pool: the bytes arrive as they are.
 * Through slonik, bytea comes as hex text — 2 MB of string per stored megabyte, to decode and
 * then collect: downloading a 200 MB console took the master from 120 to 210–230 MB of RSS.
 */
export function consoleReader(pool: DatabasePool, raw: RawPool): ConsoleReader {
  const fetch = raw.copy
    ? (buildId: number) => async (position: number, until: number) => {
        const rows = parseBinaryCopy(Buffer.concat(await raw.copyOut(`
          COPY (SELECT start_offset, data, (extract(epoch FROM written_at) * 1000)::int8 FROM build_log_chunks
            WHERE build_id = ${int(buildId)} AND start_offset + length(data) > ${int(position)} AND start_offset < ${int(until)}
            ORDER BY start_offset LIMIT ${CHUNKS_PER_READ}) TO STDOUT (FORMAT binary)`)));
        return rows.map(([offset, data, at]) => ({ offset: Number(offset!.readBigInt64BE(0)), data: data!, at: at ? Number(at.readBigInt64BE(0)) : null }));
      }
    : (buildId: number) => async (position: number, until: number) => {
        const rows = await pool.any(sql.type(Row)`
          SELECT start_offset, data, (extract(epoch FROM written_at) * 1000)::int8 AS at FROM build_log_chunks
          WHERE build_id = ${buildId} AND start_offset + length(data) > ${position} AND start_offset < ${until}
          ORDER BY start_offset LIMIT ${CHUNKS_PER_READ}`);
        return rows.map((r) => ({ offset: r.start_offset, data: r.data, at: r.at }));
      };
  const pieces = (buildId: number, start: number, end: number) => pieceStream(start, end, fetch(buildId));
  return {
    pieces,
    bytes: (buildId, start, end) => Readable.from(dataOf(pieces(buildId, start, end)), { objectMode: false }),
  };
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
