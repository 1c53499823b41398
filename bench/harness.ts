/**
 * A whole system for a measurement: a fresh database, a private Redis, the master (timed from spawn
 * to ready), the first user logged in with /api/events open, and helpers to add jobs and agents.
 * Every piece is undone by the Cleanup it is given, in reverse order, even after a failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, EventStream } from './api.ts';
import type { Probe } from './measure.ts';
import { RssSampler } from './proc.ts';
import { counterReader, createDatabase, freePort, startAgent, startMaster, startRedis, type Child, type Cleanup, type Database, type Master, type MasterOptions, type RedisServer } from './system.ts';

const USER = { username: 'bench', password: 'bench-password-123' };

export interface HarnessOptions {
  adminUrl: string;
  /** Extra environment for every master and agent process (e.g. NODE_OPTIONS for profiling). */
  masterEnv?: Record<string, string>;
  agentEnv?: Record<string, string>;
  log(message: string): void;
}

export interface Harness {
  root: string;
  db: Database;
  redis: RedisServer;
  masterOptions: MasterOptions;
  /** The master now running (undefined once stopped). */
  master: Master | undefined;
  firstStartMs: number;
  api: Api;
  events: EventStream;
  rss: RssSampler;
  probe: Probe;
  createJob(name: string, label: string, script: string): Promise<void>;
  runAgent(name: string, executors: number, labels: string[]): Promise<Child>;
  stopAgent(name: string): Promise<void>;
  /** Stops the event stream and the master (for the restart measurements). */
  stopMaster(): Promise<void>;
}

async function waitOnline(api: Api, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const a = await api.json<{ online: boolean }>('GET', `/api/agents/${name}`).catch(() => ({ online: false }));
    if (a.online) return;
    await sleep(50);
  }
  throw new Error(`agent ${name} did not come online within ${timeoutMs} ms`);
}

export async function startHarness(cleanup: Cleanup, o: HarnessOptions): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'jk-bench-'));
  cleanup.add('temp dir', () => rm(root, { recursive: true, force: true }));
  const db = await createDatabase(o.adminUrl);
  cleanup.add(`drop database ${db.name}`, db.drop);
  const redis = await startRedis(join(root, 'redis-home'));
  cleanup.add('redis-server', redis.stop);
  o.log(`database ${db.name}, redis ${redis.url}`);

  const rss = new RssSampler(50);
  cleanup.add('rss sampler', async () => rss.stop());
  const masterOptions: MasterOptions = { databaseUrl: db.url, redisUrl: redis.url, home: join(root, 'master-home'), port: await freePort(), env: o.masterEnv };
  const h = { root, db, redis, masterOptions, rss } as Harness;
  cleanup.add('master', async () => h.master?.stop());
  const agents = new Map<string, Child>();
  cleanup.add('agents', async () => void (await Promise.all([...agents.values()].map((a) => a.stop())))); // before the master

  h.master = await startMaster(masterOptions);
  h.firstStartMs = h.master.readyMs;
  rss.watch('master', h.master.pid);
  o.log(`master ready in ${Math.round(h.firstStartMs)} ms (first start, with migrations)`);

  const api = new Api(h.master.url);
  await api.json('POST', '/api/users', { ...USER, fullName: 'Benchmark' });
  await api.login(USER.username, USER.password);
  const events = await EventStream.open(api);
  cleanup.add('event stream', () => events.close());
  const counters = await counterReader(redis.url, db.url);
  cleanup.add('counters', counters.close);
  const pids = new Map<string, number>([['master', h.master.pid]]);
  if (redis.pid) pids.set('redis', redis.pid);
  Object.assign(h, {
    api,
    events,
    probe: { api, events, rss, database: db.name, counters: counters.read, pids, progress: o.log } satisfies Probe,
    async createJob(name: string, label: string, script: string) {
      await api.json('POST', '/api/jobs', { name, label, concurrentBuild: true, steps: [{ type: 'shell', script }] });
    },
    async runAgent(name: string, executors: number, labels: string[]) {
      const { secret } = await api.json<{ secret: string }>('POST', '/api/agents', { name, executors, labels });
      const agent = startAgent({ url: h.master!.url, name, secret, workdir: join(root, name), env: o.agentEnv });
      agents.set(name, agent);
      rss.watch(name, agent.pid);
      pids.set(name, agent.pid);
      await waitOnline(api, name);
      return agent;
    },
    async stopAgent(name: string) {
      await agents.get(name)?.stop();
      agents.delete(name);
      rss.unwatch(name);
      pids.delete(name);
    },
    async stopMaster() {
      await events.close();
      await h.master?.stop();
      h.master = undefined;
      rss.unwatch('master');
      pids.delete('master');
    },
  });
  return h;
}
