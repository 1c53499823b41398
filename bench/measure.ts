/**
 * The measurements, each against a running system (see system.ts): trigger→start/finish latency
 * on an idle system, builds per second next to a raw spawn loop, console ingest, start-up. Every
 * wait has a deadline; a phase also records the CPU each process spent and the RSS peaks in it.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Api, BuildSeen, EventStream } from './api.ts';
import type { Counters } from './system.ts';
import { cpuTimesWithChildren, machineCpu, postgresBackends, postgresDelta, type RssSampler } from './proc.ts';
import { boundedAll, round, roundSummary, summarize, type Summary } from './stats.ts';

/** What a phase can observe. `pids` may change between phases (agents come and go). */
export interface Probe {
  api: Api;
  events: EventStream;
  rss: RssSampler;
  database: string;
  /** Counters of the private Redis and of the database (see system.ts). */
  counters(): Promise<Counters>;
  /** Processes whose CPU a phase reports, by name (master, redis, agents). */
  pids: Map<string, number>;
  progress(message: string): void;
}

export interface PhaseUsage {
  wallMs: number;
  /** CPU ms per process in the phase; `<agent>.steps` is what its build steps used. */
  cpuMs: Record<string, number>;
  /** RSS (MB) of each sampled process when the phase began (RSS rarely shrinks), and its peak during it. */
  rssStartMb: Record<string, number>;
  rssPeakMb: Record<string, number>;
  /**
   * The whole machine in the phase, as % of one core: everything busy, and what neither the system
   * under test nor this benchmark used (other work on the machine: the figures are noisier).
   */
  machine: { busyPercent: number; othersPercent: number };
  /** Redis commands the phase caused (all, and the busiest by name); PostgreSQL transactions. */
  redisCommands: number;
  /**
   * Minor page faults per process (the agent's steps apart). Where a fault is dear (a VM with
   * shadow paging: ~11 µs here, against ~0.2 µs on bare metal) they are much of the CPU.
   */
  pageFaults: Record<string, number>;
  redisTopCommands: Record<string, number>;
  pgTransactions: number;
}

/** Runs `body` and reports the CPU and memory every watched process used meanwhile. */
export async function phase<T>(p: Probe, body: () => Promise<T>): Promise<{ value: T; usage: PhaseUsage }> {
  const names = [...p.pids.keys()];
  // An agent's step launcher (its child) counts as the agent, the steps it reaps as the agent's steps.
  const before = new Map(names.map((n) => [n, cpuTimesWithChildren(p.pids.get(n)!)]));
  const pgBefore = postgresBackends(p.database);
  p.rss.sample();
  const rssStartMb = Object.fromEntries(names.filter((n) => p.rss.count(n) > 0).map((n) => [n, round(p.rss.latestMb(n))]));
  const countersBefore = await p.counters();
  const machineBefore = machineCpu();
  const selfBefore = process.cpuUsage();
  const t0 = performance.now();
  const value = await body();
  const t1 = performance.now();
  const self = process.cpuUsage(selfBefore);
  const machineAfter = machineCpu();
  p.rss.sample();
  const cpuMs: Record<string, number> = {};
  const pageFaults: Record<string, number> = {};
  const rssPeakMb: Record<string, number> = {};
  for (const n of names) {
    const a = before.get(n);
    const b = cpuTimesWithChildren(p.pids.get(n)!);
    if (a && b) {
      cpuMs[n] = Math.round(b.self - a.self);
      pageFaults[n] = b.faults - a.faults;
      if (n.startsWith('agent')) {
        cpuMs[`${n}.steps`] = Math.round(b.children - a.children);
        pageFaults[`${n}.steps`] = b.childFaults - a.childFaults;
      }
    }
    if (p.rss.count(n) > 0) rssPeakMb[n] = round(p.rss.peakMb(n, t0, t1));
  }
  cpuMs.postgres = Math.round(postgresDelta(pgBefore, postgresBackends(p.database)));
  cpuMs.bench = Math.round((self.user + self.system) / 1000);
  const ours = Object.values(cpuMs).reduce((a, b) => a + b, 0);
  const busy = machineAfter.busy - machineBefore.busy;
  const machine = { busyPercent: Math.round((busy / (t1 - t0)) * 100), othersPercent: Math.max(0, Math.round(((busy - ours) / (t1 - t0)) * 100)) };
  await sleep(1100); // PostgreSQL publishes a backend's statistics at most once a second
  const countersAfter = await p.counters();
  const byCommand = [...countersAfter.redisByCommand].map(([k, v]) => [k, v - (countersBefore.redisByCommand.get(k) ?? 0)] as const);
  return {
    value,
    usage: {
      wallMs: Math.round(t1 - t0),
      cpuMs,
      rssStartMb,
      rssPeakMb,
      machine,
      redisCommands: countersAfter.redisCommands - countersBefore.redisCommands,
      pageFaults,
      redisTopCommands: Object.fromEntries(byCommand.filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 6)),
      pgTransactions: countersAfter.pgTransactions - countersBefore.pgTransactions,
    },
  };
}

interface ServerTimes {
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  queueId: number;
  result: string | null;
  logSize: number;
  number: number;
}

/** Server timestamps of a job's newest builds, by queue id. */
async function serverTimes(api: Api, job: string): Promise<Map<number, ServerTimes>> {
  const out = new Map<number, ServerTimes>();
  let before: number | undefined;
  for (;;) {
    const page = await api.json<{ builds: ServerTimes[] }>('GET', `/api/jobs/${job}/builds?limit=500${before ? `&before=${before}` : ''}`);
    for (const b of page.builds) out.set(b.queueId, b);
    if (page.builds.length < 500) return out;
    before = page.builds.at(-1)!.number;
  }
}

const ms = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));

export interface LatencyResult {
  builds: number;
  warmup: number;
  gapMs: number;
  failed: number;
  /** Trigger (just before the POST) → build.started / build.finished on /api/events, ms. */
  triggerToStart: Summary;
  triggerToFinish: Summary;
  /** The POST /api/jobs/:name/builds round trip, ms. */
  triggerRequest: Summary;
  /** The server's own clock: startedAt − queuedAt, finishedAt − queuedAt, finishedAt − startedAt. */
  server: { queuedToStart: Summary; queuedToFinish: Summary; startToFinish: Summary };
}

/** Sequential builds of `job`, one at a time, on an otherwise idle system. */
export async function measureLatency(p: Probe, o: { job: string; builds: number; warmup: number; gapMs: number }): Promise<LatencyResult> {
  const samples: { queueId: number; start: number; finish: number; post: number; seen: BuildSeen }[] = [];
  for (let i = 0; i < o.warmup + o.builds; i++) {
    const t0 = performance.now();
    const queueId = await p.api.trigger(o.job);
    const post = performance.now() - t0;
    const seen = await p.events.finished(queueId, 30_000);
    if (i >= o.warmup) samples.push({ queueId, start: (seen.started ?? Number.NaN) - t0, finish: seen.finished! - t0, post, seen });
    if (i % 25 === 24) p.progress(`  latency: ${i + 1}/${o.warmup + o.builds}`);
    await sleep(o.gapMs);
  }
  const server = await serverTimes(p.api, o.job);
  const srv = samples.map((s) => server.get(s.queueId)).filter((b): b is ServerTimes => b !== undefined);
  return {
    builds: samples.length,
    warmup: o.warmup,
    gapMs: o.gapMs,
    failed: samples.filter((s) => s.seen.result !== 'SUCCESS').length,
    triggerToStart: roundSummary(summarize(samples.map((s) => s.start).filter(Number.isFinite))),
    triggerToFinish: roundSummary(summarize(samples.map((s) => s.finish))),
    triggerRequest: roundSummary(summarize(samples.map((s) => s.post))),
    server: {
      queuedToStart: roundSummary(summarize(srv.map((b) => ms(b.startedAt) - ms(b.queuedAt)))),
      queuedToFinish: roundSummary(summarize(srv.map((b) => ms(b.finishedAt) - ms(b.queuedAt)))),
      startToFinish: roundSummary(summarize(srv.map((b) => ms(b.finishedAt) - ms(b.startedAt)))),
    },
  };
}

export interface ThroughputResult {
  builds: number;
  /** Builds run before the timed ones (in the phase's resource figures, not in the rates). */
  warmup: number;
  executors: number;
  triggerConcurrency: number;
  failed: number;
  /** First trigger sent → last build.finished, ms. */
  elapsedMs: number;
  buildsPerSecond: number;
  /** The rate between the 10th and the 90th percentile finish (no ramp-up or tail). */
  steadyBuildsPerSecond: number;
  /** How long sending all the triggers took, and the rate they were accepted at. */
  triggerPhaseMs: number;
  triggersPerSecond: number;
  /** The trigger request's round trip (p50, ms) for the first and the last tenth of the builds. */
  triggerRequestFirstTenthP50: number;
  triggerRequestLastTenthP50: number;
  /** At most this many builds were unfinished at a time (undefined: triggers as fast as they go). */
  maxOutstanding: number | undefined;
  /** Per build: its trigger → its build.finished, under this load. */
  triggerToFinish: Summary;
}

/** `builds` builds of a concurrent job, triggered `triggerConcurrency` requests at a time. */
export async function measureThroughput(
  p: Probe,
  o: { job: string; builds: number; executors: number; triggerConcurrency: number; warmup: number; timeoutMs: number; maxOutstanding?: number },
): Promise<ThroughputResult> {
  const warm = await boundedAll(o.warmup, o.triggerConcurrency, () => p.api.trigger(o.job));
  for (const id of warm) await p.events.finished(id, 60_000);
  p.progress(`  throughput: warmed up with ${o.warmup} builds; triggering ${o.builds}${o.maxOutstanding ? `, at most ${o.maxOutstanding} unfinished at a time` : ''}`);
  const ids: number[] = new Array(o.builds);
  // Each build's queue id as a promise that exists from the start: the window below may wait for
  // a build whose trigger has not been sent yet, and a failed trigger must fail its waiters too.
  const queued = Array.from({ length: o.builds }, () => Promise.withResolvers<number>());
  for (const q of queued) q.promise.catch(() => {});
  const sent: number[] = new Array(o.builds);
  const answered: number[] = new Array(o.builds);
  const t0 = performance.now();
  await boundedAll(o.builds, o.triggerConcurrency, async (i) => {
    try {
      const window = o.maxOutstanding;
      if (window && i >= window) await p.events.finished(await queued[i - window]!.promise, Math.max(1, t0 + o.timeoutMs - performance.now()));
      sent[i] = performance.now();
      ids[i] = await p.api.trigger(o.job);
      answered[i] = performance.now() - sent[i]!;
      queued[i]!.resolve(ids[i]!);
    } catch (err) {
      queued[i]!.reject(err);
      throw err;
    }
  });
  const triggered = performance.now();
  p.progress(`  throughput: ${o.builds} triggers sent in ${Math.round(triggered - t0)} ms; waiting for the builds`);
  const deadline = t0 + o.timeoutMs;
  for (let i = 0; i < ids.length; i++) {
    await p.events.finished(ids[i]!, Math.max(1, deadline - performance.now()));
    if (i % 250 === 249) p.progress(`  throughput: ${i + 1}/${o.builds} finished`);
  }
  const seen = ids.map((id) => p.events.builds.get(id)!);
  const finishes = seen.map((s) => s.finished!).sort((a, b) => a - b);
  const last = finishes.at(-1)!;
  const lo = Math.floor(o.builds * 0.1);
  const hi = Math.floor(o.builds * 0.9);
  return {
    builds: o.builds,
    warmup: o.warmup,
    executors: o.executors,
    triggerConcurrency: o.triggerConcurrency,
    failed: seen.filter((s) => s.result !== 'SUCCESS').length,
    elapsedMs: Math.round(last - t0),
    buildsPerSecond: round((o.builds / (last - t0)) * 1000),
    steadyBuildsPerSecond: round(((hi - lo) / (finishes[hi]! - finishes[lo]!)) * 1000),
    triggerPhaseMs: Math.round(triggered - t0),
    triggersPerSecond: round((o.builds / (triggered - t0)) * 1000),
    triggerRequestFirstTenthP50: round(summarize(answered.slice(0, Math.max(1, lo))).p50),
    triggerRequestLastTenthP50: round(summarize(answered.slice(hi)).p50),
    maxOutstanding: o.maxOutstanding,
    triggerToFinish: roundSummary(summarize(seen.map((s, i) => s.finished! - sent[i]!)), 0),
  };
}

/** Spawns `/bin/sh -c true` `count` times from Node, `concurrency` at a time: spawns per second. */
export async function rawSpawnRate(count: number, concurrency: number): Promise<{ spawns: number; concurrency: number; elapsedMs: number; spawnsPerSecond: number }> {
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', 'true'], { stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', () => resolve());
    });
  await boundedAll(20, concurrency, once); // warm-up
  const t0 = performance.now();
  await boundedAll(count, concurrency, once);
  const elapsed = performance.now() - t0;
  return { spawns: count, concurrency, elapsedMs: Math.round(elapsed), spawnsPerSecond: round((count / elapsed) * 1000) };
}

export interface ConsoleResult {
  script: string;
  result: string | undefined;
  /** X-Text-Size of the stored console, bytes. */
  bytesStored: number;
  /** build.started → build.finished on /api/events, ms. */
  startToFinishMs: number;
  mbPerSecond: number;
  /** The same pipeline into /dev/null, without Jonkkins: what the step alone can produce. */
  generatorMbPerSecond: number;
  /** (seconds since start, MB stored) every second while it ran. */
  progress: [number, number][];
  timedOut: boolean;
}

/** One build writing `bytes` of console (100-character lines), start to finish. */
export async function measureConsole(p: Probe, o: { job: string; bytes: number; timeoutMs: number }): Promise<ConsoleResult> {
  const script = consoleScript(o.bytes);
  const queueId = await p.api.trigger(o.job);
  const started = await p.events.waitFor(queueId, (s) => s.started !== undefined, 60_000, 'build.started of');
  const progress: [number, number][] = [];
  let timedOut = false;
  let seen: BuildSeen | undefined;
  const deadline = started.started! + o.timeoutMs;
  while (!seen) {
    seen = await p.events.finished(queueId, 1000).catch(() => undefined);
    if (seen) break;
    const b = await p.api.json<{ logSize: number }>('GET', `/api/jobs/${o.job}/builds/${started.number}`).catch(() => undefined);
    if (b) progress.push([round((performance.now() - started.started!) / 1000), round(b.logSize / 1e6)]);
    if (performance.now() > deadline) {
      timedOut = true;
      p.progress(`  console: not finished after ${o.timeoutMs} ms; aborting it`);
      await p.api.json('POST', `/api/jobs/${o.job}/builds/${started.number}/abort`).catch(() => {});
      seen = await p.events.finished(queueId, 60_000);
    }
  }
  const res = await p.api.request('GET', `/api/jobs/${o.job}/builds/${seen.number}/log`);
  const bytesStored = Number(res.headers.get('x-text-size'));
  await res.body?.cancel();
  const startToFinish = seen.finished! - started.started!;
  return {
    script,
    result: seen.result,
    bytesStored,
    startToFinishMs: Math.round(startToFinish),
    mbPerSecond: round(bytesStored / 1e6 / (startToFinish / 1000)),
    generatorMbPerSecond: await generatorRate(script, o.bytes),
    progress,
    timedOut,
  };
}

export function consoleScript(bytes: number): string {
  return `head -c ${bytes} /dev/zero | tr '\\0' 'x' | fold -w 100`;
}

async function generatorRate(script: string, bytes: number): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${script} > /dev/null`], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
  return round(bytes / 1e6 / ((performance.now() - t0) / 1000));
}
