/**
 * A real master for a test file: its own PostgreSQL database (migrated), its own Redis key
 * prefix, listening on a free port. Real services only; nothing mocked. It can go down and come
 * back (a restarted master process): same port, database, Redis and signing key.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createPool, sql } from 'slonik';
import { createApp, type AppDeps, type AppServices } from '../../master/src/app.ts';
import { startMaintenance, type MaintenanceOptions } from '../../master/src/maintenance.ts';
import { createDatabasePool, type DatabasePool } from '../../master/src/db/pool.ts';
import { RawPool } from '../../master/src/db/raw-pool.ts';
import { migrate } from '../../master/src/db/migrate.ts';
import { createLogger } from '../../master/src/log.ts';
import { agentUserTag } from '../../master/src/agents/agent-redis.ts';
import { TestClock } from './test-clock.ts';

export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A Redis key prefix of a test's own, for a master process spawned on TEST_REDIS_URL (JONKKINS_REDIS_PREFIX). */
export const testRedisPrefix = (): string => `jk-test-${randomUUID()}:`;

export interface TestDatabase {
  url: string;
  pool: DatabasePool;
  raw: RawPool;
  drop(): Promise<void>;
}

/** A fresh, empty database of its own (not yet migrated). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `jk_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = await createPool(TEST_POSTGRES_URL, { maxPoolSize: 1 });
  await admin.query(sql.unsafe`CREATE DATABASE ${sql.identifier([name])}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const pool = await createDatabasePool(url.toString(), 5);
  const raw = new RawPool(url.toString(), { copy: true, log: createLogger('silent') });
  return {
    url: url.toString(),
    pool,
    raw,
    async drop() {
      await raw.end();
      await pool.end();
      await admin.query(sql.unsafe`DROP DATABASE IF EXISTS ${sql.identifier([name])} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export interface TestMaster {
  url: string;
  port: number;
  pool: DatabasePool;
  /** The master's database. */
  databaseUrl: string;
  redis: Redis;
  /** The Redis the master and its agents use. */
  redisUrl: string;
  /** The key prefix of the master running now (a restart may change it). */
  readonly redisPrefix: string;
  signingKey: Buffer;
  /** Where the master keeps artifact files (a temp dir of its own). */
  artifactsDir: string;
  /** The master's clock (unless the test passed `now`): `advance` it rather than wait. */
  clock: TestClock;
  /** The services of the master running now (a restart makes new ones). */
  readonly services: AppServices;
  /** The master process goes away: connections refused, its timers and queues stopped. Data stays. */
  down(): Promise<void>;
  /** A new master comes up on the same port, database, Redis and signing key (optionally a new Redis prefix). */
  up(opts?: { redisPrefix?: string }): Promise<void>;
  /** down, `downMs` of nothing, up. */
  restart(opts?: { downMs?: number; redisPrefix?: string }): Promise<void>;
  close(): Promise<void>;
}

export interface TestMasterOptions {
  /** Run the maintenance timers (queue sweep, lost-agent watchdog), with these intervals. */
  maintenance?: MaintenanceOptions;
  /** The Redis for the master and its agents (e.g. a private redis-server); default TEST_REDIS_URL. */
  redisUrl?: string;
}

interface Running {
  services: AppServices;
  server: Server;
  maintenance: { stop(): Promise<void> } | undefined;
}

export async function startTestMaster(overrides: Partial<AppDeps> = {}, options: TestMasterOptions = {}): Promise<TestMaster> {
  const db = await createTestDatabase();
  await migrate(db.pool);
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const artifactsDir = await mkdtemp(join(tmpdir(), 'jk-artifacts-'));
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => {}); // a test may stop its private Redis
  const prefixes = [`jk-test:${randomUUID()}:`];
  const signingKey = overrides.signingKey ?? randomBytes(48);
  const log = createLogger(process.env.TEST_LOG_LEVEL === undefined ? 'silent' : (process.env.TEST_LOG_LEVEL as 'info'));
  const clock = new TestClock();
  let port = 0;
  let running: Running | undefined;

  const up = async (redisPrefix: string): Promise<void> => {
    if (running) throw new Error('the test master is up already');
    const app = createApp({
      pool: db.pool,
      raw: db.raw,
      redis,
      redisPrefix,
      signingKey,
      log,
      trustProxy: false,
      sessionMaxAgeSeconds: 12 * 3600,
      publicUrl: 'http://jonkkins.test/',
      agentRedisUrl: redisUrl,
      artifactsDir,
      now: clock.now,
      ...overrides,
    });
    const maintenance = options.maintenance ? startMaintenance(app.services, createLogger('silent'), options.maintenance) : undefined;
    const server = app.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    running = { services: app.services, server, maintenance };
  };
  const down = async (): Promise<void> => {
    if (!running) return;
    const { services, server, maintenance } = running;
    running = undefined;
    const closed = new Promise((r) => server.close(r));
    server.closeAllConnections();
    await closed;
    await maintenance?.stop();
    await services.outbox.stop();
    await services.queue.close();
    await services.events.close();
    services.agentRedis.close();
  };

  await up(prefixes[0]!);
  const master: TestMaster = {
    url: `http://127.0.0.1:${port}`,
    port,
    pool: db.pool,
    databaseUrl: db.url,
    redis,
    redisUrl,
    get redisPrefix() {
      return prefixes.at(-1)!;
    },
    signingKey,
    artifactsDir,
    clock,
    get services() {
      if (!running) throw new Error('the test master is down');
      return running.services;
    },
    down,
    async up(opts = {}) {
      if (opts.redisPrefix) prefixes.push(opts.redisPrefix);
      await up(prefixes.at(-1)!);
    },
    async restart(opts = {}) {
      await down();
      await sleep(opts.downMs ?? 0);
      await master.up({ redisPrefix: opts.redisPrefix });
    },
    async close() {
      await down();
      const users = (await redis.call('ACL', 'USERS')) as string[];
      for (const prefix of prefixes) {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        const agentUsers = users.filter((u) => u.startsWith(agentUserTag(`${prefix}bull`))); // Redis-wide: each master's own
        if (agentUsers.length > 0) await redis.call('ACL', 'DELUSER', ...agentUsers);
      }
      redis.disconnect();
      await db.drop();
      await rm(artifactsDir, { recursive: true, force: true });
    },
  };
  return master;
}
