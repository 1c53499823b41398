/**
 * The last lines of a build's console, for a failure mail (Jenkins' MailSender puts the last 250
 * lines there, after "[...truncated N KB...]"). Read at most TAIL_BYTES, before the SMTP call.
 */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { ConsoleReader } from '../console/console-reader.ts';

export const TAIL_LINES = 250;
const TAIL_BYTES = 64 * 1024;

export type ConsoleTail = (buildId: number) => Promise<string>;

export function consoleTail(pool: DatabasePool, reader: ConsoleReader): ConsoleTail {
  return async (buildId) => {
    const size = await pool.maybeOneFirst(sql.type(z.object({ log_size: z.coerce.number() }))`SELECT log_size FROM builds WHERE id = ${buildId}`);
    if (!size) return '';
    const start = Math.max(0, size - TAIL_BYTES);
    const chunks: Buffer[] = [];
    for await (const chunk of reader.bytes(buildId, start, size)) chunks.push(chunk as Buffer);
    let lines = Buffer.concat(chunks).toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (start > 0) lines = lines.slice(1); // the first one began before what was read
    const kept = lines.slice(-TAIL_LINES);
    const keptBytes = Buffer.byteLength(kept.map((l) => `${l}\n`).join(''));
    const truncated = size - keptBytes;
    return `${truncated > 0 ? `[...truncated ${Math.ceil(truncated / 1024)} KB...]\n` : ''}${kept.map((l) => `${l}\n`).join('')}`;
  };
}
