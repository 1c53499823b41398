/**
 * The system under test, as separate processes: a fresh PostgreSQL database, a private
 * redis-server, the master (`jonkkins master`) and agents (`jonkkins agent`). Everything started
 * here registers its own undo with a Cleanup, which runs in reverse order even after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createPool, sql } from 'slonik';
import { startEmbeddedRedis } from '../master/src/embedded/redis.ts';
import { createLogger } from '../master/src/log.ts';

export const JONKKINS_BIN = fileURLToPath(new URL('../bin/jonkkins.js', import.meta.url));

/** Undo steps, run last-in first-out, each at most once, each failure reported and skipped. */
export class Cleanup {
  readonly #steps: { what: string; run: () => Promise<void> }[] = [];
  #running: Promise<void> | undefined;

  add(what: string, run: () => Promise<void>): void {
    this.#steps.push({ what, run });
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      while (this.#steps.length > 0) {
        const step = this.#steps.pop()!;
        try {
          await step.run();
        } catch (err) {
          console.error(`bench: cleanup "${step.what}" failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.#running;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface Database {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** CREATE DATABASE jk_bench_<random> on the server of `adminUrl`. */
export async function createDatabase(adminUrl: string): Promise<Database> {
  const name = `jk_bench_${randomBytes(6).toString('hex')}`;
  const admin = await createPool(adminUrl, { maxPoolSize: 1 });
  try {
    await admin.query(sql.unsafe`CREATE DATABASE ${sql.identifier([name])}`);
    if (process.env.BENCH_LOG_STATEMENTS) await admin.query(sql.unsafe`ALTER DATABASE ${sql.identifier([name])} SET log_statement = 'all'`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      try {
        await admin.query(sql.unsafe`DROP DATABASE IF EXISTS ${sql.identifier([name])} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

export interface Counters {
  /** Commands the Redis server processed so far, in all and by command name. */
  redisCommands: number;
  redisByCommand: Map<string, number>;
  /** Transactions committed and rolled back in the database so far. */
  pgTransactions: number;
}

/** Reads the counters through connections of its own (their few commands are noise). */
export async function counterReader(redisUrl: string, databaseUrl: string): Promise<{ read(): Promise<Counters>; close(): Promise<void> }> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const pool = await createPool(databaseUrl, { maxPoolSize: 1 });
  return {
    async read() {
      const stats = await redis.info('commandstats');
      const byCommand = new Map<string, number>();
      for (const m of stats.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) byCommand.set(m[1]!, Number(m[2]));
      const xacts = await pool.oneFirst(sql.unsafe`
        SELECT (xact_commit + xact_rollback)::int AS n FROM pg_stat_database WHERE datname = current_database()`);
      return { redisCommands: [...byCommand.values()].reduce((a, b) => a + b, 0), redisByCommand: byCommand, pgTransactions: Number(xacts) };
    },
    async close() {
      redis.disconnect();
      await pool.end();
    },
  };
}

export interface RedisServer {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** A private redis-server under `home` (the master's own embedded-Redis code starts it). */
export async function startRedis(home: string): Promise<RedisServer> {
  const redis = await startEmbeddedRedis({ home, log: createLogger('silent') });
  let pid: number | undefined;
  try {
    pid = Number(readFileSync(join(home, 'redis', 'redis-server.pid'), 'utf8').trim()) || undefined;
  } catch {
    pid = undefined;
  }
  return { url: redis.url, pid, stop: redis.stop };
}

/** A child process with the tail of its output kept for error messages. */
export interface Child {
  child: ChildProcess;
  pid: number;
  /** The last few kB of stdout and stderr. */
  tail(): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs `jonkkins <args>`. Its output is kept (the tail) for error messages; with BENCH_LOG_DIR set,
 * all of it also goes to `<BENCH_LOG_DIR>/<name>-<pid>.log` (e.g. for NODE_OPTIONS=--trace-gc).
 */
function spawnJonkkins(name: string, args: string[], { NODE_ARGS, ...env }: Record<string, string>): Child {
  const nodeArgs = NODE_ARGS ? NODE_ARGS.split(' ') : []; // flags NODE_OPTIONS refuses, e.g. --trace-gc
  const child = spawn(process.execPath, [...nodeArgs, JONKKINS_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: process.env.LANG ?? 'C.UTF-8', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = process.env.BENCH_LOG_DIR && child.pid ? createWriteStream(join(process.env.BENCH_LOG_DIR, `${name}-${child.pid}.log`)) : undefined;
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
    file?.write(d);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exit = once(child, 'exit').then(() => undefined);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  if (child.pid === undefined) throw new Error(`could not spawn ${process.execPath}`);
  return {
    child,
    pid: child.pid,
    tail: () => out,
    exited,
    async stop(graceMs = 10_000) {
      if (exited()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

export interface MasterOptions {
  databaseUrl: string;
  redisUrl: string;
  home: string;
  port: number;
  /** Extra environment (e.g. NODE_OPTIONS=--cpu-prof); NODE_ARGS: flags for node itself (--trace-gc). */
  env?: Record<string, string>;
}

export interface Master extends Child {
  url: string;
  /** From spawn() to the first 200 of GET /healthz, ms. */
  readyMs: number;
}

/** Spawns `jonkkins master` and waits until /healthz answers 200. */
export async function startMaster(o: MasterOptions, timeoutMs = 60_000): Promise<Master> {
  const t0 = performance.now();
  const child = spawnJonkkins('master', ['master'], {
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    PORT: String(o.port),
    HOST: '127.0.0.1',
    JONKKINS_HOME: o.home,
    LOG_LEVEL: 'warn',
    ...o.env,
  });
  const url = `http://127.0.0.1:${o.port}`;
  try {
    for (;;) {
      if (child.exited()) throw new Error(`the master exited before it was ready:\n${child.tail()}`);
      if (performance.now() - t0 > timeoutMs) throw new Error(`the master was not ready within ${timeoutMs} ms:\n${child.tail()}`);
      const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })
        .then(async (r) => {
          await r.body?.cancel();
          return r.status === 200;
        })
        .catch(() => false);
      if (ok) return { ...child, url, readyMs: performance.now() - t0 };
      await new Promise((r) => setTimeout(r, 5));
    }
  } catch (err) {
    await child.stop(2000);
    throw err;
  }
}

export interface AgentOptions {
  url: string;
  name: string;
  secret: string;
  workdir: string;
  env?: Record<string, string>;
}

export function startAgent(o: AgentOptions): Child {
  return spawnJonkkins(o.name, ['agent', '--url', o.url, '--name', o.name, '--workdir', o.workdir], {
    JONKKINS_AGENT_SECRET: o.secret,
    LOG_LEVEL: 'warn',
    ...o.env,
  });
}

/** Runs a bench script's body, then cleans up and exits (exit code 1, with the error, if it failed). */
export async function runBench(cleanup: Cleanup, log: (message: string) => void, body: () => Promise<void>): Promise<never> {
  try {
    await body();
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  } finally {
    await cleanup.run();
  }
  process.exit();
}
