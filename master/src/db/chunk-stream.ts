/**
 * Byte streams stored as (start_offset, data) rows — consoles, file parameters, job files — read
 * back a few rows per query from any offset, never holding a whole stream in memory.
 */
import { Readable } from 'node:stream';
import { sql, type DatabasePool, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';

/** One stored row's bytes in a read, with where they start and (consoles) when they were written. */
export interface StoredPiece {
  offset: number;
  data: Buffer;
  /** Epoch ms the row was stored at; null where unknown. */
  at: number | null;
}

/** Rows per query. */
export const CHUNKS_PER_READ = 8;
/**
 * Rows starting more than this far past the read position wait for the next query: agents send
 * up to LOG_BATCH_BYTES (4 MiB) per upload, and 8 of those at once would hold 32 MiB in memory
 * (twice more where they come through slonik, as hex).
 */
export const BYTES_PER_READ = 1024 * 1024;

const Chunk = z.object({ start_offset: z.coerce.number(), data: z.instanceof(Buffer) });

/**
 * Streams bytes [start, end) stored as chunks in `source` — a table and the condition that picks
 * one stream's chunks — a few chunks per query.
 */
export function readChunks(pool: DatabasePool, source: FragmentSqlToken, end: number, start = 0): Readable {
  return Readable.from(dataOf(pieceStream(start, end, async (position, until) => {
    const rows = await pool.any(sql.type(Chunk)`
      SELECT start_offset, data FROM ${source}
        AND start_offset + length(data) > ${position} AND start_offset < ${until}
      ORDER BY start_offset LIMIT ${CHUNKS_PER_READ}`);
    return rows.map((r) => ({ offset: r.start_offset, data: r.data, at: null }));
  })), { objectMode: false });
}

/** The bytes of pieces. */
export async function* dataOf(pieces: AsyncIterable<StoredPiece>): AsyncGenerator<Buffer> {
  for await (const p of pieces) yield p.data;
}

/**
 * Bytes [start, end) of a stream stored as chunks, as the pieces of rows they are: `fetch(position,
 * until)` answers, in order, the next few rows holding bytes from `position` on and starting
 * before `until` (a read's bound). Each piece is trimmed to [start, end).
 */
export async function* pieceStream(start: number, end: number, fetch: (position: number, until: number) => Promise<readonly StoredPiece[]>): AsyncGenerator<StoredPiece> {
  let position = start;
  while (position < end) {
    const rows = await fetch(position, Math.min(end, position + BYTES_PER_READ));
    if (rows.length === 0) return;
    for (const r of rows) {
      const from = Math.max(0, position - r.offset);
      const to = Math.min(r.data.length, end - r.offset);
      if (to > from) yield { offset: r.offset + from, data: r.data.subarray(from, to), at: r.at };
      position = r.offset + to;
    }
  }
}
