/**
 * The agent's executors over its BullMQ queues (reference stack-notes §5b): one processor-less
 * Worker per queue, fetched by hand with getNextJob({block: false}) round-robin, and only while
 * one of the N executors is free — so the agent never holds a queue job it cannot run, and N is one
 * limit across all its queues. In this mode nothing renews locks or checks for stalls unless we do:
 * each running queue job's lock is extended on a timer, and each Worker runs the stalled check.
 * A queue job marked `deferredFailure` (it stalled once: maxStalledCount 0) is failed unstarted.
 *
 * Latency: when idle the loop sleeps, but a QueueEvents listener per queue wakes it as soon as a
 * job is waiting (and a timer when a delayed one becomes due); a slow poll covers anything missed
 * (events during a reconnect, delayed jobs that existed before we started).
 */
import { randomUUID } from 'node:crypto';
import { QueueEvents, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { quietWarnings } from './quiet-warnings.ts';
import { Waker } from './waker.ts';

export interface PoolTask {
  queue: string;
  jobId: string;
  data: unknown;
  /** 0..executors-1, the lowest free one. */
  executor: number;
  /** Fires when the pool stops: the work should end soon (abort its build). */
  stopping: AbortSignal;
}

/** 'done': complete the queue job; 'requeue': give it back to the queue for someone else. */
export type TaskOutcome = 'done' | 'requeue';

export interface ExecutorPoolOptions {
  /** Shared by the Workers for their commands; each also duplicates it for its blocking reads. */
  connection: Redis;
  prefix: string;
  executors: number;
  work(task: PoolTask): Promise<TaskOutcome>;
  warn(message: string): void;
  lockMs?: number;
  stalledIntervalMs?: number;
  /** Fallback poll while idle. */
  pollMs?: number;
}

interface QueueEntry {
  name: string;
  worker: Worker;
  events: QueueEvents;
  running: number;
  retired: boolean;
  closed?: Promise<void>;
}

const DEFAULT_LOCK_MS = 30_000;
const DEFAULT_POLL_MS = 250;
const REDIS_TROUBLE_WAIT_MS = 1000;
const CLOSE_MS = 1000;

export class ExecutorPool {
  readonly #o: ExecutorPoolOptions;
  readonly #lockMs: number;
  readonly #pollMs: number;
  readonly #queues = new Map<string, QueueEntry>();
  readonly #retired = new Set<QueueEntry>();
  readonly #busy = new Set<number>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #stopping = new AbortController();
  /** No more fetching (stop was called). */
  #closing = false;
  readonly #waker = new Waker();
  readonly #dueAt = new Set<number>();
  #dueTimer: NodeJS.Timeout | undefined;
  #limit: number;
  #rr = 0;
  readonly #warn: (kind: string, message: string) => void;
  readonly #loop: Promise<void>;

  constructor(opts: ExecutorPoolOptions) {
    this.#o = opts;
    this.#lockMs = opts.lockMs ?? DEFAULT_LOCK_MS;
    this.#pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
    this.#limit = opts.executors;
    this.#warn = quietWarnings(opts.warn);
    this.#loop = this.#run();
  }

  /** Queue jobs being worked now. */
  get running(): number {
    return this.#busy.size;
  }

  /** The queues fetched from (not those retired and waiting for their last job). */
  get queues(): string[] {
    return [...this.#queues.keys()];
  }

  /** Resolves once every queue's event listener is connected (from then on, wake-ups are not missed). */
  async ready(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((e) => e.events.waitUntilReady()));
  }

  setExecutors(n: number): void {
    this.#limit = n;
    this.#waker.wake();
  }

  /** Works exactly these queues from now on: new ones start at once, others close once idle. */
  setQueues(names: readonly string[]): void {
    if (this.#closing) return;
    const wanted = new Set(names);
    for (const [name, entry] of this.#queues) {
      if (wanted.has(name)) continue;
      this.#queues.delete(name);
      entry.retired = true;
      this.#retired.add(entry);
      if (entry.running === 0) void this.#close(entry);
    }
    for (const name of wanted) if (!this.#queues.has(name)) this.#queues.set(name, this.#open(name));
    this.#waker.wake();
  }

  /**
   * Stops fetching, waits for the running work and closes every queue. With `abort` (the default)
   * the work is told to stop (PoolTask.stopping); without, it runs to its end.
   */
  async stop({ abort = true }: { abort?: boolean } = {}): Promise<void> {
    this.#closing = true;
    if (abort) this.#stopping.abort();
    this.#waker.wake();
    clearTimeout(this.#dueTimer);
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    const entries = [...this.#queues.values(), ...this.#retired];
    this.#queues.clear();
    // A getNextJob stuck on an unreachable Redis must not hold the shutdown for ever; closing meanwhile is safe (#start gives back what comes).
    await Promise.allSettled([Promise.race([this.#loop, new Promise((r) => setTimeout(r, CLOSE_MS).unref())]), ...entries.map((e) => this.#close(e))]);
  }

  #open(name: string): QueueEntry {
    const { connection, prefix } = this.#o;
    const worker = new Worker(name, null, {
      connection,
      prefix,
      lockDuration: this.#lockMs,
      stalledInterval: this.#o.stalledIntervalMs ?? this.#lockMs,
      maxStalledCount: 0,
      autorun: false,
      skipVersionCheck: true, // INFO is not among an agent's Redis rights (master/src/agents/agent-redis.ts)
    });
    worker.on('error', (err) => this.#warn(`redis:${name}`, `queue ${name}: ${err.message}`));
    void worker.startStalledCheckTimer().catch((err: Error) => this.#warn(`redis:${name}`, `queue ${name}: stalled check: ${err.message}`));
    const events = new QueueEvents(name, { connection, prefix, skipVersionCheck: true });
    events.on('error', (err) => this.#warn(`events:${name}`, `queue ${name} events: ${err.message}`));
    events.on('waiting', () => this.#waker.wake());
    events.on('delayed', ({ delay }) => this.#wakeAt(Number(delay)));
    // The listener reads events from when it connects: a job added before that is found by this fetch.
    void events.waitUntilReady().then(() => this.#waker.wake(), () => {});
    return { name, worker, events, running: 0, retired: false };
  }

  #close(entry: QueueEntry): Promise<void> {
    entry.closed ??= (async () => {
      // Closing waits for Redis to answer: an unreachable one must not hold a stop or a switch for ever.
      const closing = Promise.allSettled([entry.worker.close(), entry.events.close()]);
      await Promise.race([closing, new Promise((r) => setTimeout(r, CLOSE_MS).unref())]);
      this.#retired.delete(entry);
    })();
    return entry.closed;
  }

  async #run(): Promise<void> {
    while (!this.#closing) {
      let got = false;
      let trouble = false;
      const entries = [...this.#queues.values()];
      for (let i = 0; i < entries.length && this.#busy.size < this.#limit && !this.#closing; i++) {
        const entry = entries[(this.#rr + i) % entries.length]!;
        if (entry.retired) continue;
        const token = randomUUID();
        let job: Job | undefined;
        try {
          job = await entry.worker.getNextJob(token, { block: false });
        } catch (err) {
          trouble = true;
          this.#warn(`redis:${entry.name}`, `queue ${entry.name}: cannot fetch: ${(err as Error).message}`);
          continue;
        }
        if (!job) continue;
        got = true;
        this.#start(entry, job, token);
      }
      this.#rr++;
      if (got && this.#busy.size < this.#limit) continue; // there may be more
      const full = this.#busy.size >= this.#limit;
      await this.#waker.wait(full ? undefined : trouble ? REDIS_TROUBLE_WAIT_MS : this.#pollMs);
    }
  }

  #start(entry: QueueEntry, job: Job, token: string): void {
    if (this.#closing || entry.retired || this.#busy.size >= this.#limit) {
      // Fetched just as things changed: hand it back rather than hold it.
      void job.moveToWait(token).catch((err: Error) => this.#warn('requeue', `queue ${entry.name}: cannot give back job ${job.id}: ${err.message}`));
      return;
    }
    let executor = 0;
    while (this.#busy.has(executor)) executor++;
    this.#busy.add(executor);
    entry.running++;
    const task = this.#execute(entry, job, token, executor).finally(() => {
      this.#busy.delete(executor);
      entry.running--;
      this.#tasks.delete(task);
      if (entry.retired && entry.running === 0) void this.#close(entry);
      this.#waker.wake();
    });
    this.#tasks.add(task);
  }

  async #execute(entry: QueueEntry, job: Job, token: string, executor: number): Promise<void> {
    const renew = setInterval(() => {
      job.extendLock(token, this.#lockMs).catch((err: Error) => this.#warn('lock', `queue ${entry.name}: cannot extend the lock of job ${job.id}: ${err.message}`));
    }, this.#lockMs / 2);
    try {
      if (job.deferredFailure) {
        // It stalled before (an agent died holding it): the master decides about the build; never rerun it here.
        await job.moveToFailed(new UnrecoverableError(job.deferredFailure), token, false);
        return;
      }
      let outcome: TaskOutcome;
      try {
        outcome = await this.#o.work({ queue: entry.name, jobId: String(job.id), data: job.data, executor, stopping: this.#stopping.signal });
      } catch (err) {
        // Unrecoverable: even a queue job with attempts left must not run a build a second time.
        await job.moveToFailed(new UnrecoverableError(err instanceof Error ? err.message : String(err)), token, false);
        return;
      }
      if (outcome === 'requeue') await job.moveToWait(token);
      else await job.moveToCompleted('done', token, false);
    } catch (err) {
      // Lost the lock or Redis is away: PostgreSQL on the master has the truth about the build.
      this.#warn('finish', `queue ${entry.name}: job ${job.id}: ${(err as Error).message}`);
    } finally {
      clearInterval(renew);
    }
  }

  /** Wakes the loop when a delayed queue job becomes due. */
  #wakeAt(at: number): void {
    if (!Number.isFinite(at) || this.#closing) return;
    this.#dueAt.add(at);
    this.#armDueTimer();
  }

  #armDueTimer(): void {
    clearTimeout(this.#dueTimer);
    this.#dueTimer = undefined;
    if (this.#dueAt.size === 0) return;
    const next = Math.min(...this.#dueAt);
    this.#dueTimer = setTimeout(() => {
      const now = Date.now();
      for (const at of this.#dueAt) if (at <= now) this.#dueAt.delete(at);
      this.#waker.wake();
      this.#armDueTimer();
    }, Math.max(0, next - Date.now()) + 1);
    this.#dueTimer.unref();
  }
}
