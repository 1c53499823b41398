/**
 * A line in a finished build's console from a notifier (a notification that could not be sent):
 * appended after "Finished:" under the build row's lock, and announced to viewers.
 */
import type { DatabasePool } from 'slonik';
import { lockBuild } from '../builds/build-rows.ts';
import { appendAtEnd } from '../console/console-store.ts';

/** Appends `line` to a finished build's console; answers false when the build is not finished (nothing written). */
export type ConsoleNote = (buildId: number, line: string) => Promise<boolean>;

export function consoleNote(pool: DatabasePool, published: (buildId: number, size: number) => void): ConsoleNote {
  return async (buildId, line) => {
    const size = await pool.transaction(async (tx) => {
      const row = await lockBuild(tx, buildId);
      // A running build's console belongs to its agent (it writes at offsets it counts): a note
      // then would make a gap. The master's log has it.
      return row?.state === 'finished' ? appendAtEnd(tx, buildId, row.log_size, Buffer.from(`${line.replace(/\n*$/, '')}\n`, 'utf8')) : null;
    });
    if (size === null) return false;
    published(buildId, size);
    return true;
  };
}
