/**
 * A real master (test-master.ts) with an admin and one registered agent running in-process
 * (the real startAgent of worker/src/agent.ts), plus the calls the agent's tests make: define a
 * job, trigger it, wait for its result, read its console as bytes. Everything is torn down with
 * the test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { startAgent, type AgentOptions, type RunningAgent } from '../../worker/src/agent.ts';
import type { AppDeps } from '../../master/src/app.ts';
import type { MaintenanceOptions } from '../../master/src/maintenance.ts';
import { bootstrapAdmin, call } from './http.ts';
import { until } from './processes.ts';
import { startTestMaster, type TestMaster } from './test-master.ts';

export interface RigOptions {
  name?: string;
  labels?: string[];
  executors?: number;
  maintenance?: MaintenanceOptions;
  /** Extra startAgent options (heartbeatMs…). */
  agent?: Partial<AgentOptions>;
  /** Overrides of the master's dependencies (createApp). */
  master?: Partial<AppDeps>;
}

export interface FinishedBuild {
  queueId: number;
  number: number;
  result: string;
  executor: number | null;
  agent: string | null;
  startedAt: string;
  queuedAt: string;
  /** The console, byte for byte. */
  bytes: Buffer;
  text: string;
}

export interface Rig {
  m: TestMaster;
  admin: string;
  name: string;
  secret: string;
  workdir: string;
  /** The agent's log lines ("warn: …"). */
  logs: string[];
  /** The agent started with the rig. */
  agent: RunningAgent | undefined;
  startAgent(extra?: Partial<AgentOptions>): RunningAgent;
  job(name: string, doc?: Record<string, unknown>): Promise<void>;
  /** Queues a build; resolves with its queue id. */
  trigger(job: string, parameters?: Record<string, unknown>): Promise<number>;
  /** The build number once the queue item started (waits). */
  numberOf(queueId: number, timeoutMs?: number): Promise<number>;
  /** Waits for the build's result and returns it with its console. */
  finished(queueId: number, timeoutMs?: number): Promise<FinishedBuild>;
  build(job: string, number: number): Promise<any>;
  consoleBytes(job: string, number: number): Promise<Buffer>;
  /** The build's row as the master stores it. */
  row(queueId: number): Promise<{ state: string; log_size: number; agent_seen_at: number | null }>;
}

export async function startRig(t: ExecutionContext, opts: RigOptions = {}): Promise<Rig> {
  const m = await startTestMaster(opts.master, { maintenance: opts.maintenance });
  const workdir = await mkdtemp(join(tmpdir(), 'jk-agent-'));
  const agents: RunningAgent[] = [];
  t.teardown(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await m.close();
    await rm(workdir, { recursive: true, force: true });
  });
  const admin = await bootstrapAdmin(m.url);
  const name = opts.name ?? 'a1';
  const registered = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: opts.executors ?? 2, labels: opts.labels ?? [] } });
  if (registered.status !== 201) throw new Error(`register agent: ${registered.status} ${registered.text}`);
  const secret: string = registered.body.secret;
  const logs: string[] = [];
  const jobPath = (job: string) => `/api/jobs/${encodeURIComponent(job)}`;

  const rig: Rig = {
    m,
    admin,
    name,
    secret,
    workdir,
    logs,
    agent: undefined,
    startAgent(extra = {}) {
      // As `jonkkins agent` gets it: the secret in the environment, which builds must not see.
      const saved = process.env.JONKKINS_AGENT_SECRET;
      process.env.JONKKINS_AGENT_SECRET = secret;
      try {
        const agent = startAgent({
          url: m.url,
          name,
          secret,
          workdir,
          log: { info: (s) => logs.push(`info: ${s}`), warn: (s) => logs.push(`warn: ${s}`), error: (s) => logs.push(`error: ${s}`) },
          workConfigRefreshMs: 200,
          stopGraceMs: 3000,
          killGraceMs: 500,
          ...opts.agent,
          ...extra,
        });
        agents.push(agent);
        return agent;
      } finally {
        if (saved === undefined) delete process.env.JONKKINS_AGENT_SECRET;
        else process.env.JONKKINS_AGENT_SECRET = saved;
      }
    },
    async job(job, doc = {}) {
      const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: job, ...doc } });
      if (res.status !== 201) throw new Error(`create job ${job}: ${res.status} ${res.text}`);
    },
    async trigger(job, parameters = {}) {
      const res = await call(m.url, 'POST', `${jobPath(job)}/builds`, { token: admin, json: { parameters } });
      if (res.status !== 201) throw new Error(`trigger ${job}: ${res.status} ${res.text}`);
      return res.body.queueId as number;
    },
    async numberOf(queueId, timeoutMs = 15_000) {
      let number = 0;
      await until(`queue item ${queueId} to start`, async () => {
        number = (await call(m.url, 'GET', `/api/queue/${queueId}`, { token: admin })).body.build?.number ?? 0;
        return number > 0;
      }, timeoutMs, 20);
      return number;
    },
    async finished(queueId, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const item = (await call(m.url, 'GET', `/api/queue/${queueId}`, { token: admin })).body;
      const number = await rig.numberOf(queueId, timeoutMs);
      let build: any;
      try {
        await until(`${item.job} #${number} to finish`, async () => (build = await rig.build(item.job, number)).result !== null, Math.max(0, deadline - Date.now()), 20);
      } catch (err) {
        throw new Error(`${(err as Error).message}; console so far:\n${(await rig.consoleBytes(item.job, number)).toString()}`);
      }
      const bytes = await rig.consoleBytes(item.job, number);
      return { queueId, number, result: build.result, executor: build.executor, agent: build.agent, startedAt: build.startedAt, queuedAt: build.queuedAt, bytes, text: bytes.toString('utf8') };
    },
    async build(job, number) {
      return (await call(m.url, 'GET', `${jobPath(job)}/builds/${number}`, { token: admin })).body;
    },
    async consoleBytes(job, number) {
      const res = await fetch(`${m.url}${jobPath(job)}/builds/${number}/log`, { headers: { authorization: `Bearer ${admin}` } });
      if (res.status !== 200) throw new Error(`console of ${job} #${number}: ${res.status} ${await res.text()}`);
      return Buffer.from(await res.arrayBuffer());
    },
    async row(queueId) {
      return m.pool.one(sql.type(z.object({ state: z.string(), log_size: z.coerce.number(), agent_seen_at: z.number().nullable() }))`
        SELECT state, log_size, agent_seen_at FROM builds WHERE id = ${queueId}`);
    },
  };
  rig.agent = rig.startAgent();
  await rig.agent.ready;
  return rig;
}
