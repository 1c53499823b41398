/**
 * The master's timers: refill the queue from PostgreSQL (at start-up, and periodically in case
 * Redis lost its data) and end builds whose agent went silent. Safe with several masters: every
 * change is a locked, re-checked transaction, and re-adding a queued build is idempotent.
 */
import { AGENT_LOST_AFTER_MS } from '../../shared/src/agent-protocol.ts';
import type { AppServices } from './app.ts';
import type { Logger } from './log.ts';

const OFFLINE_CHECK_MS = 5_000;
/** How often the queue is refilled from PostgreSQL (when not configured). */
export const DEFAULT_SWEEP_EVERY_MS = 5_000;
/** How often running builds are checked for a silent agent: a lost build ends within AGENT_LOST_AFTER_MS + this. */
export const DEFAULT_WATCHDOG_EVERY_MS = 5_000;

/** How often the outbox is checked for due messages (a restarted master sends what its predecessor left within this). */
export const DEFAULT_OUTBOX_EVERY_MS = 2_000;

export interface MaintenanceOptions {
  outboxEveryMs?: number;
  sweepEveryMs?: number;
  watchdogEveryMs?: number;
  agentLostAfterMs?: number;
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
