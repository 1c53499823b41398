/**
 * Real agent processes (`jonkkins agent`) for a test master, and the few calls fault tests make
 * on builds. Every process and directory is cleaned up with the test.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { call } from './http.ts';
import { spawnJonkkins, stopProcess, until, type JonkkinsProcess } from './processes.ts';
import type { TestMaster } from './test-master.ts';

export interface FleetAgent {
  name: string;
  secret: string;
  workdir: string;
  process: JonkkinsProcess;
  /** Starts the agent process again (same name, secret and workdir), e.g. after it was killed. */
  respawn(): JonkkinsProcess;
}

export class Fleet {
  readonly #m: TestMaster;
  readonly #admin: string;
  readonly #processes: JonkkinsProcess[] = [];
  readonly #dirs: string[] = [];

  /** `t`: a test, or whatever stands in for one where ava has no teardown (a hook). */
  constructor(t: Pick<ExecutionContext, 'teardown'>, m: TestMaster, admin: string) {
    this.#m = m;
    this.#admin = admin;
    t.teardown(async () => {
      await Promise.all(this.#processes.map((p) => stopProcess(p, 5000)));
      await Promise.all(this.#dirs.map((d) => rm(d, { recursive: true, force: true })));
    });
  }

  /** Registers an agent and starts its process; resolves once the master sees it online. */
  async agent(name: string, opts: { executors?: number; labels?: string[] } = {}): Promise<FleetAgent> {
    const res = await call(this.#m.url, 'POST', '/api/agents', { token: this.#admin, json: { name, executors: opts.executors ?? 2, labels: opts.labels ?? [] } });
    if (res.status !== 201) throw new Error(`register ${name}: ${res.status} ${res.text}`);
    const workdir = await mkdtemp(join(tmpdir(), `jk-${name}-`));
    this.#dirs.push(workdir);
    const spawnIt = () => {
      const p = spawnJonkkins(['agent', '--url', this.#m.url, '--name', name, '--workdir', workdir], { JONKKINS_AGENT_SECRET: res.body.secret });
      this.#processes.push(p);
      return p;
    };
    const agent: FleetAgent = {
      name,
      secret: res.body.secret,
      workdir,
      process: spawnIt(),
      respawn: () => (agent.process = spawnIt()),
    };
    await until(`agent ${name} to be working its queues`, () => /executor\(s\) on queues/.test(agent.process.output.stdout), 20_000, 50).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent.process.output.stdout}${agent.process.output.stderr}`);
    });
    return agent;
  }
}

/** Pids of live (not zombie) processes whose command line contains `marker`. */
export async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => '');
    if (!cmdline.includes(marker)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'latin1').catch(() => '');
    if (stat !== '' && !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) found.push(Number(entry));
  }
  return found;
}

/** The admin's view of builds: trigger, wait, read. */
export function builds(m: TestMaster, admin: string) {
  const path = (job: string) => `/api/jobs/${encodeURIComponent(job)}`;
  const api = {
    async job(name: string, doc: Record<string, unknown>) {
      const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, ...doc } });
      if (res.status !== 201) throw new Error(`create job ${name}: ${res.status} ${res.text}`);
    },
    async trigger(job: string): Promise<number> {
      const res = await call(m.url, 'POST', `${path(job)}/builds`, { token: admin, json: {} });
      if (res.status !== 201) throw new Error(`trigger ${job}: ${res.status} ${res.text}`);
      return res.body.queueId;
    },
    async numberOf(queueId: number, timeoutMs = 20_000): Promise<number> {
      let n = 0;
      await until(`queue item ${queueId} to start`, async () => (n = (await call(m.url, 'GET', `/api/queue/${queueId}`, { token: admin })).body.build?.number ?? 0) > 0, timeoutMs, 50);
      return n;
    },
    async get(job: string, n: number): Promise<any> {
      return (await call(m.url, 'GET', `${path(job)}/builds/${n}`, { token: admin })).body;
    },
    async consoleOf(job: string, n: number): Promise<Buffer> {
      const res = await fetch(`${m.url}${path(job)}/builds/${n}/log`, { headers: { authorization: `Bearer ${admin}` } });
      return Buffer.from(await res.arrayBuffer());
    },
    /** Waits for the result; returns the build. */
    async finished(job: string, n: number, timeoutMs = 30_000): Promise<any> {
      let b: any;
      await until(`${job} #${n} to finish`, async () => (b = await api.get(job, n)).result !== null, timeoutMs, 50);
      return b;
    },
  };
  return api;
}
