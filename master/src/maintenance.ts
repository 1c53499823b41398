/**
 * The master's timers: refill the queue from PostgreSQL (at start-up, and periodically in case
 * Redis lost its data), end builds whose agent went silent, and delete sessions past their
 * maximum age. Safe with several masters: every change is a locked, re-checked transaction, and
 * re-adding a queued build is idempotent. The intervals are real time (how often to look); what
 * each task decides reads the master's clock (clock.ts), so a test moves that clock and waits
 * for the next look instead of waiting 30 s of silence.
 */
import { AGENT_LOST_AFTER_MS } from '../../shared/src/agent-protocol.ts';
import type { AppServices } from './app.ts';
import type { Logger } from './log.ts';

const OFFLINE_CHECK_MS = 5_000;
/** How often the queue is refilled from PostgreSQL (when not configured). */
export const DEFAULT_SWEEP_EVERY_MS = 5_000;
/** How often running builds are checked for a silent agent: a lost build ends within AGENT_LOST_AFTER_MS + this. */
export const DEFAULT_WATCHDOG_EVERY_MS = 5_000;
/** How often expired sessions are deleted (a token of one is refused anyway: its age is checked on every request). */
export const DEFAULT_SESSION_SWEEP_EVERY_MS = 3_600_000;

/** How often the outbox is checked for due messages (a restarted master sends what its predecessor left within this). */
export const DEFAULT_OUTBOX_EVERY_MS = 2_000;

export interface MaintenanceOptions {
  outboxEveryMs?: number;
  sweepEveryMs?: number;
  watchdogEveryMs?: number;
  agentLostAfterMs?: number;
  sessionSweepEveryMs?: number;
}

export function startMaintenance(services: AppServices, log: Logger, opts: MaintenanceOptions = {}): { stop(): Promise<void> } {
  const lostAfter = opts.agentLostAfterMs ?? AGENT_LOST_AFTER_MS;
  let running: Promise<unknown> = services.dispatcher.sweep();
  services.outbox.kick();
  const every = (ms: number, task: () => Promise<unknown>) =>
    setInterval(() => {
      running = running.then(task).catch((err) => log.warn({ err: (err as Error).message }, 'maintenance task failed'));
    }, ms);
  const timers = [
    every(opts.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS, () => services.dispatcher.sweep()),
    every(opts.watchdogEveryMs ?? DEFAULT_WATCHDOG_EVERY_MS, () => services.agentBuilds.endLostBuilds(lostAfter)),
    // Messages a stopped master left unsent, and retries whose time came: any master sends them.
    every(opts.outboxEveryMs ?? DEFAULT_OUTBOX_EVERY_MS, async () => services.outbox.kick()),
    every(opts.sessionSweepEveryMs ?? DEFAULT_SESSION_SWEEP_EVERY_MS, () => services.sessions.sweep()),
    every(OFFLINE_CHECK_MS, async () => {
      for (const agent of await services.agents.wentOfflineWithin(OFFLINE_CHECK_MS)) services.events.publish({ type: 'agent.offline', agent });
    }),
  ];
  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await running.catch(() => {});
      await services.outbox.stop();
    },
  };
}
