/**
 * Starts a master for real: the database and Redis (embedded when no URL is configured),
 * migrations, the signing key, then the HTTP server. Returns a handle that stops it all in order.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createApp } from './app.ts';
import { startMaintenance } from './maintenance.ts';
import { CronScheduler } from './triggers/cron-scheduler.ts';
import { loadSigningKey } from './auth/tokens.ts';
import type { Config } from './config.ts';
import { createDatabasePool, type DatabasePool } from './db/pool.ts';
import { RawPool } from './db/raw-pool.ts';
import { migrate } from './db/migrate.ts';
import { startEmbeddedPostgres } from './embedded/postgres.ts';
import { startEmbeddedRedis } from './embedded/redis.ts';
import type { Logger } from './log.ts';
import { isLoopbackHost, SetupCode } from './users/setup-code.ts';

/** The built UI (web/dist) when there is one, else the plain pages in web/public. */
/** The built web UI (`npm run build:web`, also run by `npm install`), or undefined when it was not built. */
export function webRoot(): string | undefined {
  const dist = fileURLToPath(new URL('../../web/dist/', import.meta.url));
  return existsSync(join(dist, 'index.html')) ? dist : undefined;
}

export interface RunningMaster {
  /** Where this process listens, e.g. http://127.0.0.1:8080 (not the public URL). */
  localUrl: string;
  port: number;
  pool: DatabasePool;
  close(): Promise<void>;
}

/** The URL without user and password: agents never get the master's. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

/** Hides the password of a connection URL for logs. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '****';
  return u.toString();
}

export interface Services {
  databaseUrl: string;
  /** The database takes COPY FROM STDIN (all but the embedded PGlite fallback). */
  databaseCopies: boolean;
  redisUrl: string;
  /** Where agents reach Redis, without credentials unless the operator put a user in JONKKINS_AGENT_REDIS_URL. */
  agentRedisUrl: string;
  stop(): Promise<void>;
}

/** PostgreSQL and Redis: the configured servers, or private embedded ones under JONKKINS_HOME. */
export async function startServices(config: Config, log: Logger, need: { redis: boolean } = { redis: true }): Promise<Services> {
  await mkdir(config.home, { recursive: true, mode: 0o700 });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => log.error({ err }, 'stopping a service failed'));
  };
  try {
    let databaseUrl = config.databaseUrl;
    let databaseCopies = true;
    if (databaseUrl) log.info(`PostgreSQL: ${redactUrl(databaseUrl)} (DATABASE_URL)`);
    else {
      const pg = await startEmbeddedPostgres({ home: config.home, log });
      stops.push(pg.stop);
      databaseUrl = pg.url;
      databaseCopies = pg.kind !== 'pglite';
    }
    let redisUrl = config.redisUrl ?? '';
    let agentRedisUrl = config.redisUrl ? withoutCredentials(config.redisUrl) : '';
    if (config.redisUrl) log.info(`Redis: ${redactUrl(config.redisUrl)} (REDIS_URL)`);
    else if (need.redis) {
      const redis = await startEmbeddedRedis({ home: config.home, log, ...config.embeddedRedis, advertiseHost: new URL(config.publicUrl).hostname });
      stops.push(redis.stop);
      redisUrl = redis.url;
      agentRedisUrl = redis.agentUrl;
    }
    if (config.agentRedisUrl) agentRedisUrl = config.agentRedisUrl;
    return { databaseUrl, databaseCopies, redisUrl, agentRedisUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function startMaster(config: Config, log: Logger): Promise<RunningMaster> {
  const started = Date.now();
  const services = await startServices(config, log);
  const cleanup: (() => Promise<void>)[] = [services.stop];
  const close = async () => {
    for (const c of cleanup.reverse()) await c().catch((err) => log.error({ err }, 'shutdown step failed'));
  };
  try {
    const pool = await createDatabasePool(services.databaseUrl);
    cleanup.push(() => pool.end());
    const raw = new RawPool(services.databaseUrl, { copy: services.databaseCopies, log });
    cleanup.push(() => raw.end());
    const applied = await migrate(pool);
    log.info(applied.length ? `database migrated: ${applied.join(', ')}` : 'database schema is up to date');

    const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: null });
    redis.on('error', (err) => log.warn({ err: err.message }, 'Redis connection problem'));
    cleanup.push(async () => void redis.disconnect());

    const signingKey = await loadSigningKey({ secret: config.secret, home: config.home });
    const setupCode = isLoopbackHost(config.host) ? undefined : new SetupCode(config.home);
    const staticDir = webRoot();
    if (!staticDir) log.warn('The web UI is not built (web/dist is missing): run `npm run build:web`. The API works without it.');
    const app = createApp({
      pool,
      raw,
      redis,
      redisPrefix: config.redisPrefix,
      signingKey,
      log,
      trustProxy: config.trustProxy,
      sessionMaxAgeSeconds: config.sessionMaxAgeSeconds,
      staticDir,
      publicUrl: config.publicUrl,
      agentRedisUrl: services.agentRedisUrl,
      artifactsDir: join(config.home, 'artifacts'),
      setupCode,
      git: config.git,
      allowLocalCheckout: config.allowLocalCheckout,
    });
    await setupCode?.prepare(await app.services.users.anyExist(), log);
    const maintenance = startMaintenance(app.services, log);
    const cron = new CronScheduler({ pool, builds: app.services.builds, log, now: app.services.now });
    cron.start();
    cleanup.push(() => cron.stop());
    app.services.scmPolling.start();
    cleanup.push(() => app.services.scmPolling.stop());
    cleanup.push(async () => {
      await maintenance.stop();
      await app.services.queue.close();
      await app.services.events.close();
      app.services.agentRedis.close();
    });
    const server = app.listen(config.port, config.host);
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
    cleanup.push(async () => {
      server.close();
      server.closeAllConnections();
    });
    const { port } = server.address() as AddressInfo;
    log.info(`Jonkkins master ready on port ${port} (public URL ${config.publicUrl}) in ${Date.now() - started} ms`);
    return { localUrl: `http://127.0.0.1:${port}`, port, pool, close };
  } catch (err) {
    await close();
    throw err;
  }
}
