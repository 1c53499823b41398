/**
 * A real master for a test file: its own PostgreSQL database (migrated), its own Redis key
 * prefix, listening on a free port. Real services only; nothing mocked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createPool, sql } from 'slonik';
import { createApp, type AppDeps, type AppServices } from '../../master/src/app.ts';
import { startMaintenance, type MaintenanceOptions } from '../../master/src/maintenance.ts';
import { createDatabasePool, type DatabasePool } from '../../master/src/db/pool.ts';
import { migrate } from '../../master/src/db/migrate.ts';
import { createLogger } from '../../master/src/log.ts';

export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  url: string;
  pool: DatabasePool;
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
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      await admin.query(sql.unsafe`DROP DATABASE IF EXISTS ${sql.identifier([name])} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export interface TestMaster {
  url: string;
  pool: DatabasePool;
  redis: Redis;
  redisPrefix: string;
  signingKey: Buffer;
  services: AppServices;
  close(): Promise<void>;
}

export interface TestMasterOptions {
  /** Run the maintenance timers (queue sweep, lost-agent watchdog), with these intervals. */
  maintenance?: MaintenanceOptions;
}

export async function startTestMaster(overrides: Partial<AppDeps> = {}, options: TestMasterOptions = {}): Promise<TestMaster> {
  const db = await createTestDatabase();
  await migrate(db.pool);
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const redisPrefix = `jk-test:${randomUUID()}:`;
  const signingKey = randomBytes(48);
  const app = createApp({
    pool: db.pool,
    redis,
    redisPrefix,
    signingKey,
    log: createLogger(process.env.TEST_LOG_LEVEL === undefined ? 'silent' : (process.env.TEST_LOG_LEVEL as 'info')),
    trustProxy: false,
    sessionMaxAgeSeconds: 12 * 3600,
    publicUrl: 'http://jonkkins.test/',
    agentRedisUrl: TEST_REDIS_URL,
    ...overrides,
  });
  const maintenance = options.maintenance ? startMaintenance(app.services, createLogger('silent'), options.maintenance) : undefined;
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pool: db.pool,
    redis,
    redisPrefix,
    signingKey: overrides.signingKey ?? signingKey,
    services: app.services,
    async close() {
      await maintenance?.stop();
      await app.services.queue.close();
      await app.services.events.close();
      server.close();
      server.closeAllConnections();
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await db.drop();
    },
  };
}
