/** Live events pushed to people (GET /api/events, server-sent events; `event:` is the type). */
import type { BuildResult } from './build.ts';

export type JonkkinsEvent =
  | { type: 'build.queued'; job: string; queueId: number }
  | { type: 'build.started'; job: string; queueId: number; number: number; agent: string; executor: number }
  | { type: 'build.finished'; job: string; queueId: number; number: number; result: BuildResult }
  | { type: 'agent.online'; agent: string }
  | { type: 'agent.offline'; agent: string }
  | { type: 'queue.changed' }
  /** A job was created, changed, enabled, disabled or deleted. */
  | { type: 'job.changed'; job: string }
  /** Internal to the master (console streams); not sent on /api/events. */
  | { type: 'build.log'; buildId: number; size: number };
