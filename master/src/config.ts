/**
 * Configuration comes from environment variables only (twelve-factor). The README's
 * configuration table documents each one; keep the two in step.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS } from './log.ts';

const url = (protocols: RegExp, example: string) =>
  z.string().refine((s) => {
    try {
      return protocols.test(new URL(s).protocol);
    } catch {
      return false;
    }
  }, `must be a URL like ${example}`);

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535, 'must be a port number').default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  JONKKINS_HOME: z.string().min(1).default(resolve(homedir(), '.jonkkins')),
  DATABASE_URL: url(/^postgres(ql)?:$/, 'postgres://user:pass@host:5432/db').optional(),
  REDIS_URL: url(/^rediss?:$/, 'redis://host:6379/0').optional(),
  JONKKINS_REDIS_HOST: z.string().min(1).default('127.0.0.1'),
  JONKKINS_REDIS_PORT: z.coerce.number({ error: 'must be a port number' }).int().min(1).max(65535, 'must be a port number').optional(),
  JONKKINS_AGENT_REDIS_URL: url(/^rediss?:$/, 'redis://ci.example.com:6379/0').optional(),
  JONKKINS_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,48}:$/, 'must be letters, digits, "_", "." or "-" ending in ":", e.g. jonkkins:')
    .default('jonkkins:'),
  JONKKINS_URL: url(/^https?:$/, 'https://ci.example.com/').optional(),
  JONKKINS_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  JONKKINS_TRUST_PROXY: flag.default(false),
  JONKKINS_GIT: z.string().min(1).default('git'),
  JONKKINS_ALLOW_LOCAL_CHECKOUT: flag.default(false),
  JONKKINS_SESSION_MAX_AGE_HOURS: z.coerce.number({ error: 'must be a number of hours' }).positive('must be a positive number of hours').max(24 * 365).default(12),
});

export interface Config {
  port: number;
  host: string;
  home: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** The embedded Redis (no REDIS_URL): the address it binds, and its port (default: kept across restarts). */
  embeddedRedis: { host: string; port: number | undefined };
  /** Where agents connect to Redis, when not the master's Redis address (agent-redis.ts). */
  agentRedisUrl: string | undefined;
  /** Begins every Redis key of this master, so that several masters can share one Redis. */
  redisPrefix: string;
  /** The public URL people and agents reach the master at, always ending in `/`. */
  publicUrl: string;
  secret: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  trustProxy: boolean;
  sessionMaxAgeSeconds: number;
  /** The git the master runs for Poll SCM's ls-remote (an absolute path, or found on /usr/local/bin:/usr/bin:/bin). */
  git: string;
  /** Poll SCM may read file:// repositories on the master's own disk (Jenkins' ALLOW_LOCAL_CHECKOUT). */
  allowLocalCheckout: boolean;
}

export class ConfigError extends Error {}

/** Reads the configuration; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      const shown = name.includes('SECRET') ? '****' : (present[name] ?? '');
      return `${name}=${JSON.stringify(shown)}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const publicUrl = e.JONKKINS_URL ?? `http://localhost:${e.PORT}/`;
  return {
    port: e.PORT,
    host: e.HOST,
    home: resolve(e.JONKKINS_HOME),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    embeddedRedis: { host: e.JONKKINS_REDIS_HOST, port: e.JONKKINS_REDIS_PORT },
    agentRedisUrl: e.JONKKINS_AGENT_REDIS_URL,
    redisPrefix: e.JONKKINS_REDIS_PREFIX,
    publicUrl: publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`,
    secret: e.JONKKINS_SECRET,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.JONKKINS_TRUST_PROXY,
    sessionMaxAgeSeconds: Math.round(e.JONKKINS_SESSION_MAX_AGE_HOURS * 3600),
    git: e.JONKKINS_GIT,
    allowLocalCheckout: e.JONKKINS_ALLOW_LOCAL_CHECKOUT,
  };
}
