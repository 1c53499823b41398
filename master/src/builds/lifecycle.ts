/**
 * The one owner of a build's life: every change of a build's state — queue, start, finish, abort,
 * cancel, timeout, agent lost — is decided by `transition()` and applied here, its effects in the
 * order the transition lists them: the database ones inside the transaction, the others (BullMQ,
 * live events, the discarder) only after it committed, so nobody hears of a change that may still
 * roll back.
 */
import { sql, type DatabasePool, type DatabaseTransactionConnection, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';
import type { FinishRequest } from '../../../shared/src/agent-protocol.ts';
import type { Job } from '../../../shared/src/job.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { EventPublisher } from '../events/event-bus.ts';
import type { StoredJob } from '../jobs/jobs.ts';
import type { BuildQueue } from '../queue/build-queue.ts';
import { plainParameters, triggerEnvironment } from './build-env.ts';
import { lockWithJob, statusOf, writeTransition, type BuildRow, type LockedBuild } from './build-rows.ts';
import { IN_TRANSACTION, transition, type BuildEffect, type BuildEvent, type BuildStatus, type PublishedEvent } from './build-transitions.ts';
import { discardOldBuilds, type ArtifactFiles } from './discarder.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { DownstreamTriggers, Fired } from './downstream.ts';
import type { SecretBox } from '../secret-box.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { BuildNotifier } from './build-notifiers.ts';
import type { Clock } from '../clock.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const IdRow = z.object({ id: z.coerce.number() });
/** What runs once the transaction committed, in order. */
export type AfterCommit = (() => Promise<void>)[];

/** A decided and written change: the new status, and what is left to do after commit. */
export interface Applied {
  next: BuildStatus;
  after: AfterCommit;
}

export interface ChangeOptions {
  /**
   * The public URL (downstream triggers expand with it), read before the transaction: reading
   * it may query, and nothing inside the transaction may use another connection.
   */
  publicUrl: string;
  /** More column assignments in the state's UPDATE (a start's number, agent, executor…). */
  extra?: FragmentSqlToken;
  /** The values `extra` writes that the after-commit news tell (a start's number, agent, executor). */
  written?: Partial<BuildRow>;
  /** Console bytes that go before the footer (a finish's last bytes). */
  tail?: Buffer;
  /** Bytes to append when the change writes no footer (a start's cause lines). */
  append?: Buffer;
  /** A finish: the properties files' texts the agent read, by publisher index (already checked). */
  properties?: FinishRequest['properties'];
}

const text = (s: string) => Buffer.from(s, 'utf8');

export class BuildLifecycle {
  readonly #pool: DatabasePool;
  readonly #dispatcher: Dispatcher;
  readonly #queue: BuildQueue;
  readonly #events: EventPublisher;
  readonly #downstream: DownstreamTriggers;
  readonly #secrets: SecretBox;
  readonly #publicUrl: () => Promise<string>;
  readonly #artifacts: ArtifactFiles;
  readonly #now: Clock;
  readonly #outbox: Outbox;
  readonly #notifiers: readonly BuildNotifier[];
  constructor(deps: {
    pool: DatabasePool;
    dispatcher: Dispatcher;
    queue: BuildQueue;
    events: EventPublisher;
    downstream: DownstreamTriggers;
    secrets: SecretBox;
    publicUrl: () => Promise<string>;
    artifacts: ArtifactFiles;
    outbox: Outbox;
    /** Slack, mail, commit statuses…: asked for their messages when a build starts and ends. */
    notifiers: readonly BuildNotifier[];
    now: Clock;
  }) {
    this.#pool = deps.pool;
    this.#dispatcher = deps.dispatcher;
    this.#queue = deps.queue;
    this.#events = deps.events;
    this.#downstream = deps.downstream;
    this.#secrets = deps.secrets;
    this.#publicUrl = deps.publicUrl;
    this.#artifacts = deps.artifacts;
    this.#outbox = deps.outbox;
    this.#notifiers = deps.notifiers;
    this.#now = deps.now;
  }

  /**
   * Locks build `buildId`, applies `event`, commits, then runs the effects. `check` (under the
   * lock) may throw, or answer false to leave the build as it is (the change returns null).
   */
  async change(buildId: number, event: BuildEvent | ((row: BuildRow) => BuildEvent), check?: (tx: DatabaseTransactionConnection, locked: LockedBuild) => Promise<boolean> | boolean): Promise<BuildStatus | null> {
    const publicUrl = await this.#publicUrl();
    const applied = await this.#pool.transaction(async (tx) => {
      const locked = await lockWithJob(tx, buildId);
      if (!locked) throw new NotFoundError(`No build ${buildId}`);
      if (check && !(await check(tx, locked))) return null;
      return this.applyIn(tx, locked, typeof event === 'function' ? event(locked.row) : event, { publicUrl });
    });
    if (!applied) return null;
    await settle(applied.after);
    return applied.next;
  }

  /**
   * In the caller's transaction, the row locked: decides (a refused change is a 409), runs the
   * database effects and writes the status. The caller commits, then calls `settle(after)`.
   */
  async applyIn(tx: DatabaseTransactionConnection, { row, job }: LockedBuild, event: BuildEvent, opts: ChangeOptions): Promise<Applied> {
    const t = transition(statusOf(row), event);
    if (!t.ok) throw new ConflictError(`Cannot ${event.type} build: ${t.reason}`);
    const mine: AfterCommit = [];
    const consequences: AfterCommit = [];
    let downstreamLines: string[] = [];
    let append = opts.append;
    let logSize = row.log_size;
    for (const effect of t.effects) {
      if (!IN_TRANSACTION.has(effect.type)) {
        mine.push(() => this.#afterCommit(effect, { ...row, ...opts.written }, job, t.next, () => logSize));
        continue;
      }
      if (effect.type === 'endAwaited') consequences.push(...(await this.#endAwaited(tx, row, opts.publicUrl)));
      if (effect.type === 'fireDownstream') {
        const fired = await this.#fireDownstream(tx, row, job, effect, opts.publicUrl, opts.properties);
        downstreamLines = fired.lines;
        for (const q of fired.queued) consequences.push(...this.queued(q.stored, q.queueId));
      }
      if (effect.type === 'notify') {
        const change = { event: effect.event, row: { ...row, ...opts.written }, job, result: t.next.result, publicUrl: opts.publicUrl };
        const messages = [];
        for (const notifier of this.#notifiers) messages.push(...(await notifier.messages(tx, change)));
        await this.#outbox.add(tx, messages);
        if (messages.length > 0) consequences.push(async () => this.#outbox.kick());
      }
      if (effect.type === 'footer') append = Buffer.concat([opts.tail ?? Buffer.alloc(0), text(`${effect.why}${downstreamLines.join('')}Finished: ${effect.result}\n`)]);
    }
    // The new state and the console's new bytes: one statement (the row is locked already).
    await writeTransition(tx, row, t.next, this.#now(), { extra: opts.extra, append });
    logSize = row.log_size + (append?.length ?? 0);
    // The build's own news first, then what it set off (released and downstream builds).
    return { next: t.next, after: [...mine, ...consequences] };
  }

  /**
   * The after-commit effects of a build that was queued (`queue`: a new row, in a transaction
   * that committed by the time they run). `quietPeriod`: the one it was queued with, when not the job's.
   */
  queued(stored: StoredJob, queueId: number, quietPeriod = stored.job.quietPeriod): AfterCommit {
    const t = transition(null, { type: 'queue' });
    if (!t.ok) throw new Error(t.reason);
    return t.effects.map((effect) => async () => {
      if (effect.type === 'enqueue') await this.#dispatcher.queued({ ...stored.job, id: stored.id, quietPeriod }, queueId);
      else if (effect.type === 'publish' && effect.event === 'build.queued') this.#events.publish({ type: 'build.queued', job: stored.job.name, queueId });
      else if (effect.type === 'publish' && effect.event === 'queue.changed') this.#events.publish({ type: 'queue.changed' });
    });
  }

  /** Console bytes were appended (not a state change): viewers follow. */
  publishLog(buildId: number, size: number): void {
    this.#events.publish({ type: 'build.log', buildId, size });
  }

  /** One effect after commit. `logSize()`: the console's size once the change was written. */
  async #afterCommit(effect: BuildEffect, row: BuildRow, job: Job, next: BuildStatus, logSize: () => number): Promise<void> {
    switch (effect.type) {
      case 'unqueue':
        return this.#queue.remove(row.id, row.label);
      case 'dispatchJob':
        // A concurrent job's queued builds are on the queue already; a non-concurrent job's next one goes now.
        if (!job.concurrentBuild) await this.#dispatcher.dispatch(row.job_id);
        return;
      case 'discard':
        await discardOldBuilds(this.#pool, row.job_id, this.#artifacts, job, this.#now());
        return;
      case 'publish':
        return this.#publish(effect.event, row, next, logSize());
      default:
        throw new Error(`${effect.type} is not an after-commit effect`);
    }
  }

  #publish(event: PublishedEvent, row: BuildRow, next: BuildStatus, logSize: number): void {
    switch (event) {
      case 'build.log':
        return this.#events.publish({ type: 'build.log', buildId: row.id, size: logSize });
      case 'build.finished':
        return this.#events.publish({ type: 'build.finished', job: row.job_name, queueId: row.id, number: row.number!, result: next.result! });
      case 'queue.changed':
        return this.#events.publish({ type: 'queue.changed' });
      case 'build.queued':
        return this.#events.publish({ type: 'build.queued', job: row.job_name, queueId: row.id });
      case 'build.started':
        return this.#events.publish({ type: 'build.started', job: row.job_name, queueId: row.id, number: row.number!, agent: row.agent_name!, executor: row.executor! });
    }
  }

  /**
   * As Jenkins does when a blocking trigger is interrupted: the builds `waiter` still awaits are
   * aborted (running) or cancelled (queued), each through its own transition.
   */
  async #endAwaited(tx: DatabaseTransactionConnection, waiter: BuildRow, publicUrl: string): Promise<AfterCommit> {
    const ids = await tx.anyFirst(sql.type(IdRow)`
      SELECT id FROM builds WHERE awaited_by = ${waiter.id} AND state IN ('queued', 'running') ORDER BY id`);
    const by = `upstream project ‘${waiter.job_name}’ build number ${waiter.number}`;
    const after: AfterCommit = [];
    for (const id of ids) {
      const locked = await lockWithJob(tx, id);
      if (!locked || (locked.row.state !== 'queued' && locked.row.state !== 'running')) continue;
      after.push(...(await this.applyIn(tx, locked, { type: 'abort', by }, { publicUrl })).after);
    }
    return after;
  }

  async #fireDownstream(tx: DatabaseTransactionConnection, row: BuildRow, job: Job, effect: BuildEffect & { type: 'fireDownstream' }, publicUrl: string, properties: FinishRequest['properties'] = []): Promise<Fired> {
    const parameters = plainParameters(row, this.#secrets);
    const env = triggerEnvironment({ job, row, parameters, publicUrl });
    return this.#downstream.fire(tx, row, job, effect.result, env, parameters, Object.fromEntries((properties ?? []).map((p) => [p.publisher, p.texts])));
  }
}

/** Runs what a committed change left to do, in order. */
export async function settle(after: AfterCommit): Promise<void> {
  for (const run of after) await run();
}
