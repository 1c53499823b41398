/**
 * The agent's work side (protocol step 2): reads the work config every WORK_CONFIG_REFRESH_MS,
 * keeps a Redis connection and an executor pool over the queues this agent matches, and runs
 * each queue job it takes as a build. When Redis cannot be reached or refuses its user, it asks
 * the master again at once (at most every REASK_MS): the queue may have moved (an embedded Redis on
 * another port) or its user be due again (Redis restarted). Stopping stops fetching, aborts the
 * running builds, lets them report (for at most `stopGraceMs` of trouble with the master), and
 * closes Redis, never waiting on an unreachable one.
 */
import { resolve } from 'node:path';
import { WORK_CONFIG_REFRESH_MS, workConfigChannel, type WorkConfig } from '../../shared/src/agent-protocol.ts';
import { agentEnvironment, runBuild, type BuildHost } from './build-runner.ts';
import type { ContainerCli } from './container-cli.ts';
import { ExecutorPool } from './executor-pool.ts';
import { MasterError, type MasterClient } from './master-client.ts';
import { workQueueJob } from './queue-job.ts';
import { quietWarnings } from './quiet-warnings.ts';
import { RedisFamily } from './redis-family.ts';
import { agentCookie } from './stray-processes.ts';
import { Waker } from './waker.ts';
import { chooseQueues, nodeLabels } from '../../shared/src/work-queues.ts';
import { sameRedis } from './work-config.ts';
import { Workspaces } from './workspaces.ts';

/** The least time between two work-config reads that Redis trouble asks for. */
const REASK_MS = 1000;
/** How long closing a Redis connection may wait for its QUIT before it is cut. */
const QUIT_MS = 1000;

export interface WorkLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface WorkLoopOptions {
  client: MasterClient;
  name: string;
  secret: string;
  workdir: string;
  log: WorkLog;
  refreshMs?: number;
  /** The executor pool's fallback poll. */
  pollMs?: number;
  /** After stop(): how long builds may keep trying to reach the master before giving up. */
  stopGraceMs?: number;
  killGraceMs?: number;
  /** The agent's environment for its builds (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** The container CLI dockerBuild steps use, once the agent probed for it (container-cli.ts). */
  containerCli?: () => ContainerCli | null;
}

export class WorkLoop {
  readonly #o: WorkLoopOptions;
  readonly #host: BuildHost;
  readonly #waker = new Waker();
  readonly #giveUp = new AbortController();
  #config: WorkConfig | undefined;
  /** The connection of the current work config; every connection BullMQ and this loop make from it closes with it. */
  #redis: RedisFamily | undefined;
  /** Subscribed to the master's "work config changed" channel: a new queue is seen at once. */
  #announcements: ReturnType<RedisFamily['duplicate']> | undefined;
  #pool: ExecutorPool | undefined;
  /** A pool being replaced (the Redis of the config changed): drains before the new one starts. */
  #switching: Promise<void> | undefined;
  #draining: ExecutorPool | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #lastRead = 0;
  readonly #warn: (kind: string, message: string) => void;

  constructor(opts: WorkLoopOptions) {
    this.#o = opts;
    this.#warn = quietWarnings((m) => opts.log.warn(m));
    const workdir = resolve(opts.workdir);
    this.#host = {
      agentName: opts.name,
      nodeLabels: () => nodeLabels(this.#config?.labels ?? [], opts.name),
      workdir,
      workspaces: new Workspaces(resolve(workdir, 'workspace')),
      baseEnv: agentEnvironment(opts.env ?? process.env, opts.secret),
      agentCookie: agentCookie(opts.name, workdir),
      secrets: [opts.secret],
      giveUp: this.#giveUp.signal,
      warn: (m) => opts.log.warn(m),
      killGraceMs: opts.killGraceMs,
      containerCli: opts.containerCli ?? (() => null),
    };
  }

  /** Builds running now. */
  get running(): number {
    return this.#pool?.running ?? 0;
  }

  /** Starts reading the work config (idempotent). */
  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#waker.wake();
    const giveUp = setTimeout(() => this.#giveUp.abort(), this.#o.stopGraceMs ?? 20_000);
    try {
      // The config loop is not awaited: a config fetch in flight ends on its own (and applies nothing).
      await this.#draining?.stop(); // its builds are aborted too
      await this.#switching;
      await this.#pool?.stop();
      this.#announcements?.disconnect();
      if (this.#redis) await closeRedis(this.#redis);
    } finally {
      clearTimeout(giveUp);
    }
  }

  async #run(): Promise<void> {
    const refreshMs = this.#o.refreshMs ?? WORK_CONFIG_REFRESH_MS;
    while (!this.#stopped) {
      try {
        this.#lastRead = Date.now();
        const config = await this.#o.client.workConfig();
        if (!this.#stopped) this.#apply(config);
      } catch (err) {
        if (this.#stopped) break;
        const hint = err instanceof MasterError && err.status === 404 ? ' (a master older than protocol version 2 gives no work)' : '';
        this.#warn('config', `agent ${this.#o.name}: cannot read the work config: ${(err as Error).message}${hint}`);
      }
      await this.#waker.wait(this.#config ? refreshMs : Math.min(refreshMs, 1000));
    }
  }

  #apply(config: WorkConfig): void {
    if (this.#switching) return; // the next refresh applies it
    const previous = this.#config;
    this.#config = config;
    const { queues, invalid } = chooseQueues(config.queues, config.labels, this.#o.name);
    for (const q of invalid) this.#warn(`queue:${q.name}`, `agent ${this.#o.name}: skipping queue ${q.name}: ${q.error}`);
    if (this.#pool && previous && !sameRedis(previous, config)) {
      const [oldPool, oldRedis] = [this.#pool, this.#redis];
      this.#pool = this.#redis = undefined;
      this.#announcements?.disconnect();
      this.#announcements = undefined;
      this.#draining = oldPool;
      this.#o.log.info(`agent ${this.#o.name}: the queue moved to ${config.redis.url}; switching once the running builds end`);
      this.#switching = (async () => {
        await oldPool.stop({ abort: false });
        if (oldRedis) await closeRedis(oldRedis);
      })().finally(() => {
        this.#switching = this.#draining = undefined;
        this.#waker.wake();
      });
      return;
    }
    if (!this.#pool) {
      // No ready check: it runs INFO, which an agent's Redis user may not.
      this.#redis = new RedisFamily(config.redis.url, { maxRetriesPerRequest: null, enableReadyCheck: false });
      this.#redis.on('error', (err: Error) => {
        this.#warn('redis', `agent ${this.#o.name}: redis: ${err.message}`);
        this.#reask();
      });
      this.#announcements = this.#redis.duplicate();
      this.#announcements.on('error', () => {}); // the main connection already reports outages
      this.#announcements.on('message', () => this.#waker.wake());
      this.#announcements.subscribe(workConfigChannel(config.redis.prefix)).catch(() => {});
      this.#pool = new ExecutorPool({
        connection: this.#redis,
        prefix: config.redis.prefix,
        executors: config.executors,
        pollMs: this.#o.pollMs,
        warn: (m) => this.#o.log.warn(`agent ${this.#o.name}: ${m}`),
        work: (task) =>
          workQueueJob(task, {
            channel: this.#o.client,
            run: (spec, executor, stopping) => runBuild(this.#o.client, spec, executor, stopping, this.#host),
            info: (m) => this.#o.log.info(`agent ${this.#o.name}: ${m}`),
            warn: (m) => this.#o.log.warn(`agent ${this.#o.name}: ${m}`),
          }),
      });
      this.#o.log.info(`agent ${this.#o.name}: ${config.executors} executor(s) on queues ${queues.join(', ') || '(none)'}`);
    } else if (previous && (previous.executors !== config.executors || String(this.#pool.queues) !== String(queues))) {
      this.#o.log.info(`agent ${this.#o.name}: ${config.executors} executor(s) on queues ${queues.join(', ') || '(none)'}`);
    }
    this.#pool.setExecutors(config.executors);
    this.#pool.setQueues(queues);
  }

  /** Redis is away or refuses us: read the work config now rather than at the next refresh. */
  #reask(): void {
    if (this.#stopped) return;
    const wait = this.#lastRead + REASK_MS - Date.now();
    if (wait <= 0) this.#waker.wake();
    else setTimeout(() => this.#waker.wake(), wait).unref();
  }
}

/**
 * QUIT when connected (bounded: Redis may go away meanwhile), else just drop the connection; then
 * every connection made from it (BullMQ's, the announcements'), whatever state they are in.
 */
async function closeRedis(redis: RedisFamily): Promise<void> {
  if (redis.status === 'ready') {
    const cut = setTimeout(() => redis.disconnect(), QUIT_MS);
    await redis.quit().catch(() => {});
    clearTimeout(cut);
  }
  redis.disconnectAll();
}
