/**
 * The build state machine: one pure function, no I/O (Woodpecker's server/pipeline/step_status.go
 * is the model). It answers the next status and the effects of the change, in the one order they
 * run in; `lifecycle.ts` applies both (the database effects in the transaction, the others after
 * it commits). Nothing else changes a build's state.
 *
 *   (new) ─queue─► queued ──start──► running ──finish / agentLost──► finished
 *                    │   │              │                                   ▲
 *                    │   └─refuse───────┼───────────────────────────────────┘ (FAILURE, no step ran)
 *                    └─cancel / abort─► cancelled      abort / timeout (running): remembered in
 *                                                      abortResult; the build ends with it
 */
import { worseResult, type BuildResult, type BuildState } from '../../../shared/src/build.ts';

export interface BuildStatus {
  state: BuildState;
  result: BuildResult | null;
  /** Set once an abort or a timeout was asked for: the result the build will end with. */
  abortResult: 'ABORTED' | 'FAILURE' | null;
  /** Who asked for the abort ('timeout' for a timeout); null until one is asked for. */
  abortBy: string | null;
}

export type BuildEvent =
  /** A trigger (person, timer, remote, upstream build) put a new build in the queue. */
  | { type: 'queue' }
  | { type: 'start' }
  /**
   * The build cannot start: what it needs from the master is missing or not allowed (a credential
   * it names). It gets its number and ends FAILURE with `why` in its console, no step run.
   */
  | { type: 'refuse'; why: string }
  | { type: 'cancel' }
  /** `by`: who (a user name, or the upstream build that stopped waiting). */
  | { type: 'abort'; by: string }
  /** The job's timeout passed while the build ran (Jenkins' build-timeout FailOperation). */
  | { type: 'timeout' }
  | { type: 'finish'; reported: BuildResult }
  /** The agent running it went silent, or started again (a new session): the build is not run again. */
  | { type: 'agentLost'; agent: string; why: 'silent' | 'restarted' };

/** A live event the change publishes once it committed. */
export type PublishedEvent = 'build.queued' | 'build.started' | 'build.log' | 'build.finished' | 'queue.changed';

/**
 * What a change does besides writing the status, in the order listed. The first three run in the
 * transaction (the database); the rest after it committed (Redis, events, files).
 */
export type BuildEffect =
  /** Builds this one awaits (a blocking trigger step) are aborted (running) or cancelled (queued). */
  | { type: 'endAwaited' }
  /** Post-build triggers fire for the result; their console lines go before "Finished:". */
  | { type: 'fireDownstream'; result: BuildResult }
  /** The console's last lines: `why` (may be empty), the downstream lines, `Finished: RESULT`. */
  | { type: 'footer'; why: string; result: BuildResult }
  /** The build goes on the BullMQ queue (as its job allows). */
  | { type: 'enqueue' }
  /** The queue item leaves BullMQ. */
  | { type: 'unqueue' }
  | { type: 'publish'; event: PublishedEvent }
  /** The job's next queued build goes on the queue, as the job's concurrentBuild allows. */
  | { type: 'dispatchJob' }
  /** The job's build discarder runs. */
  | { type: 'discard' };

export type Transition = { ok: true; next: BuildStatus; effects: BuildEffect[] } | { ok: false; reason: string };

/** The effects that run inside the transaction. */
export const IN_TRANSACTION: ReadonlySet<BuildEffect['type']> = new Set(['endAwaited', 'fireDownstream', 'footer']);

const publish = (event: PublishedEvent): BuildEffect => ({ type: 'publish', event });

/** Leaving the queue without a number: the same for a cancel and an abort of a queued build. */
const leaveQueue = (build: BuildStatus): Transition => ({
  ok: true,
  next: { ...build, state: 'cancelled' },
  effects: [{ type: 'unqueue' }, publish('queue.changed'), { type: 'dispatchJob' }],
});

/** Ending a running build: the same effects, in the same order, however it ended. */
const end = (build: BuildStatus, result: BuildResult, why: string): Transition => ({
  ok: true,
  next: { ...build, state: 'finished', result },
  effects: [
    { type: 'endAwaited' },
    { type: 'fireDownstream', result },
    { type: 'footer', why, result },
    publish('build.log'),
    publish('build.finished'),
    { type: 'dispatchJob' },
    { type: 'discard' },
  ],
});

export function transition(build: BuildStatus | null, event: BuildEvent): Transition {
  const refuse = (reason: string): Transition => ({ ok: false, reason });
  if (event.type === 'queue') {
    if (build !== null) return refuse('the build exists already');
    return { ok: true, next: { state: 'queued', result: null, abortResult: null, abortBy: null }, effects: [{ type: 'enqueue' }, publish('build.queued'), publish('queue.changed')] };
  }
  if (build === null) return refuse('there is no such build');
  switch (event.type) {
    case 'start':
      if (build.state !== 'queued') return refuse(`the build is ${build.state}, not queued`);
      return { ok: true, next: { ...build, state: 'running' }, effects: [publish('build.started'), publish('queue.changed'), publish('build.log')] };
    case 'refuse': {
      if (build.state !== 'queued') return refuse(`the build is ${build.state}, not queued`);
      // A normal ending, told as a start first: viewers see it leave the queue with its number.
      const { next, effects } = end(build, 'FAILURE', event.why) as Transition & { ok: true };
      const footer = effects.findIndex((e) => e.type === 'footer');
      return { ok: true, next, effects: [...effects.slice(0, footer + 1), publish('build.started'), publish('queue.changed'), ...effects.slice(footer + 1)] };
    }
    case 'cancel':
      return build.state === 'queued' ? leaveQueue(build) : refuse(`the build is ${build.state}, not queued`);
    case 'abort':
    case 'timeout': {
      if (build.state === 'queued' && event.type === 'abort') return leaveQueue({ ...build, abortBy: event.by });
      if (build.state !== 'running') return refuse(`the build is ${build.state}, not running`);
      // The first abort decides (a timeout that fires after a person aborted stays ABORTED); the
      // agent hears of it at its next log or ping answer, and finishes.
      if (build.abortResult !== null) return { ok: true, next: build, effects: [] };
      const next: BuildStatus = event.type === 'abort' ? { ...build, abortResult: 'ABORTED', abortBy: event.by } : { ...build, abortResult: 'FAILURE', abortBy: 'timeout' };
      return { ok: true, next, effects: [] };
    }
    case 'finish': {
      if (build.state !== 'running') return refuse(`the build is ${build.state}, not running`);
      // An abort decides the result: ABORTED when a person stopped it, FAILURE for a timeout,
      // whatever the killed steps reported.
      let why = '';
      if (build.abortBy === 'timeout') why = 'Build timed out. Marking the build as failed.\n';
      else if (build.abortResult) why = `Aborted by ${build.abortBy ?? 'unknown'}\n`;
      return end(build, build.abortResult ?? event.reported, why);
    }
    case 'agentLost': {
      if (build.state !== 'running') return refuse(`the build is ${build.state}, not running`);
      const how = event.why === 'silent' ? 'stopped answering' : 'started again (a new session)';
      return end(build, worseResult('FAILURE', build.abortResult ?? 'FAILURE'), `\nFATAL: agent lost: ${event.agent} ${how}; the build is not run again\n`);
    }
  }
}
