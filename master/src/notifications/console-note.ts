/**
 * A line in a finished build's console from a notifier (a notification that could not be sent):
 * appended after "Finished:" under the build row's lock, and announced to viewers. A running
 * build's console is its agent's (it writes at offsets it counts: a line of ours would make a
 * gap), so a note for a running build waits in the outbox (kind `consoleNote`) until it finished.
 */
import { createHash } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { lockBuild } from '../builds/build-rows.ts';
import { appendAtEnd } from '../console/console-store.ts';
import { RetryLater, type Outbox, type OutboxMessage, type OutboxSender } from '../outbox/outbox.ts';

/** Appends `line` to the build's console now, or once it finished; answers whether it is written now. */
export type ConsoleNote = (buildId: number, line: string) => Promise<boolean>;

export const CONSOLE_NOTE_KIND = 'consoleNote';
/** How often a waiting note looks whether its build finished. */
const WAIT_MS = 2_000;

/** `later`: where a note for a running build waits (without one, it is dropped: the master's log has it). */
export function consoleNote(pool: DatabasePool, published: (buildId: number, size: number) => void, later?: Outbox): ConsoleNote {
  const now = async (buildId: number, line: string) => {
    const size = await pool.transaction(async (tx) => {
      const row = await lockBuild(tx, buildId);
      return row?.state === 'finished' ? appendAtEnd(tx, buildId, row.log_size, Buffer.from(`${line.replace(/\n*$/, '')}\n`, 'utf8')) : null;
    });
    if (size === null) return false;
    published(buildId, size);
    return true;
  };
  if (later) {
    later.register(CONSOLE_NOTE_KIND, {
      send: async (m: OutboxMessage) => {
        if (!(await now(m.buildId, (m.payload as { line: string }).line))) throw new RetryLater('the build is still running', WAIT_MS);
        return null;
      },
    } satisfies OutboxSender);
  }
  return async (buildId, line) => {
    if (await now(buildId, line)) return true;
    if (later) {
      // One row per line and build: a note given twice is written once.
      const target = createHash('sha256').update(line).digest('hex').slice(0, 32);
      await later.add(pool, [{ kind: CONSOLE_NOTE_KIND, buildId, event: 'note', target, payload: { line } }]);
      later.kick();
    }
    return false;
  };
}
