/**
 * `npm run bench`: issue 3's numbers, measured on the real system as separate processes (a fresh
 * PostgreSQL database, a private redis-server, `jonkkins master`, `jonkkins agent`s). Prints a
 * table with each figure next to its target, then the same as one JSON object. A missed target
 * is a finding, not an error: the exit code is 0 unless the benchmark itself could not run.
 * Each phase also reports the CPU of every process, Redis commands and PostgreSQL transactions,
 * and how busy the machine was with other work (such figures are noisier).
 *
 * Knobs (environment): BENCH_DATABASE_URL (an admin URL of the PostgreSQL server; default
 * TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres), BENCH_LATENCY_BUILDS (100),
 * BENCH_THROUGHPUT_BUILDS (1000), BENCH_SHALLOW_BUILDS (300), BENCH_EXECUTORS (8),
 * BENCH_TRIGGER_CONCURRENCY (8), BENCH_SPAWNS (1000), BENCH_CONSOLE_BYTES (200000000),
 * BENCH_RESTARTS (3), BENCH_LOG_DIR (keep the master's and agents' output there),
 * BENCH_MASTER_NODE_OPTIONS and BENCH_AGENT_NODE_OPTIONS (NODE_OPTIONS for those processes, e.g.
 * to try --max-semi-space-size=2; the report names them), BENCH_MASTER_NODE_ARGS and
 * BENCH_AGENT_NODE_ARGS (flags NODE_OPTIONS refuses, e.g. --trace-gc; named too), BENCH_MASTER_ENV and
 * BENCH_AGENT_ENV (`NAME=value …`: more environment, e.g. MALLOC_MMAP_THRESHOLD_=33554432).
 * To find where the time goes: bench/profile.ts (CPU profiles) and bench/timeline.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness } from './harness.ts';
import { consoleScript, measureConsole, measureLatency, measureThroughput, phase, rawSpawnRate, type PhaseUsage } from './measure.ts';
import { rssKb } from './proc.ts';
import { check, f, renderTable, type Check } from './report.ts';
import { measureGitCheckout } from './git-checkout.ts';
import { round, summarize } from './stats.ts';
import { Cleanup, startMaster } from './system.ts';

const env = process.env;
const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
const CONFIG = {
  adminUrl: env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  latencyBuilds: num('BENCH_LATENCY_BUILDS', 100),
  latencyWarmup: 10,
  latencyGapMs: 50,
  throughputBuilds: num('BENCH_THROUGHPUT_BUILDS', 1000),
  executors: num('BENCH_EXECUTORS', 8),
  triggerConcurrency: num('BENCH_TRIGGER_CONCURRENCY', 8),
  shallowBuilds: num('BENCH_SHALLOW_BUILDS', 300),
  spawns: num('BENCH_SPAWNS', 1000),
  consoleBytes: num('BENCH_CONSOLE_BYTES', 200_000_000),
  restarts: num('BENCH_RESTARTS', 3),
  masterNodeOptions: env.BENCH_MASTER_NODE_OPTIONS ?? '',
  agentNodeOptions: env.BENCH_AGENT_NODE_OPTIONS ?? '',
  /** Flags for node itself, which NODE_OPTIONS refuses (V8's --trace-gc, --optimize-for-size, …). */
  masterNodeArgs: env.BENCH_MASTER_NODE_ARGS ?? '',
  agentNodeArgs: env.BENCH_AGENT_NODE_ARGS ?? '',
};
const nodeOptions = (o: string, args: string) => (o || args ? { ...(o ? { NODE_OPTIONS: o } : {}), ...(args ? { NODE_ARGS: args } : {}) } : undefined);

const log = (m: string) => console.error(`bench: ${m}`);

const ROOT = new URL('../', import.meta.url).pathname;

function gitChanged(): number {
  try {
    return execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
  } catch {
    return Number.NaN;
  }
}

function machine() {
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0] ?? '';
    } catch {
      return 'unknown';
    }
  };
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    postgres: version('psql', ['--version']),
    redis: version('redis-server', ['--version']).replace(/^Redis server v=(\S+).*$/, 'Redis $1'),
    loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').trim(),
    /** The code measured: the commit, and how many files differ from it (read-only git). */
    code: `${version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])} (${gitChanged() === 0 ? 'clean' : `${gitChanged()} tracked files changed`})`,
  };
}

/** BENCH_MASTER_ENV / BENCH_AGENT_ENV: `NAME=value …`, more environment for those processes (e.g. MALLOC_MMAP_THRESHOLD_=…). */
function extraEnv(spec: string | undefined): Record<string, string> {
  return Object.fromEntries((spec ?? '').split(/\s+/).filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

async function main(cleanup: Cleanup): Promise<void> {
  const facts = machine();
  log(`${facts.cores} cores, node ${facts.node}; load ${facts.loadAverageAtStart}`);
  // 5a. The first start is timed inside: an empty database, so it migrates.
  const h = await startHarness(cleanup, {
    adminUrl: CONFIG.adminUrl,
    masterEnv: { ...nodeOptions(CONFIG.masterNodeOptions, CONFIG.masterNodeArgs), ...extraEnv(env.BENCH_MASTER_ENV) },
    agentEnv: { ...nodeOptions(CONFIG.agentNodeOptions, CONFIG.agentNodeArgs), ...extraEnv(env.BENCH_AGENT_ENV) },
    log,
  });
  const { probe, rss } = h;
  await sleep(1000);
  rss.sample();
  const idleRssMb = rss.latestMb('master');

  await h.createJob('latency', 'lat', 'true');
  await h.createJob('throughput', 'tp', 'true');
  await h.createJob('console', 'lat', consoleScript(CONFIG.consoleBytes));

  // 1. Latency on an idle system: one agent with 2 executors, builds one after the other.
  await h.runAgent('agent-lat', 2, ['lat']);
  log(`latency: ${CONFIG.latencyBuilds} sequential builds (+${CONFIG.latencyWarmup} warm-up)`);
  /** Each measured phase's time window, to say when the master's RSS peaked. */
  const windows: [string, number, number][] = [];
  const timed = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const from = performance.now();
    try {
      return await body();
    } finally {
      windows.push([name, from, performance.now()]);
    }
  };
  const latency = await timed('latency', () => phase(probe, () =>
    measureLatency(probe, { job: 'latency', builds: CONFIG.latencyBuilds, warmup: CONFIG.latencyWarmup, gapMs: CONFIG.latencyGapMs }),
  ));
  // 3. Console ingest: one build writing CONFIG.consoleBytes. Measured second, before the
  // throughput runs have grown the master's heap: RSS rarely shrinks once grown.
  log(`console: one build writing ${f(CONFIG.consoleBytes / 1e6)} MB`);
  const consoleRun = await timed('console', () => phase(probe, () => measureConsole(probe, { job: 'console', bytes: CONFIG.consoleBytes, timeoutMs: 10 * 60_000 })));
  await h.stopAgent('agent-lat');

  // 2. Throughput, next to what this machine can spawn at all.
  log(`raw spawn: ${CONFIG.spawns} × /bin/sh -c true, ${CONFIG.executors} at a time`);
  const raw = await rawSpawnRate(CONFIG.spawns, CONFIG.executors);
  await h.runAgent('agent-tp', CONFIG.executors, ['tp']);
  // 2b first: the same builds with a shallow queue (at most 2 × executors unfinished), which tells
  // the cost of a deep queue apart from the cost of a build.
  log(`throughput, shallow queue: ${CONFIG.shallowBuilds} builds, at most ${2 * CONFIG.executors} unfinished`);
  const shallow = await timed('shallow queue', () => phase(probe, () =>
    measureThroughput(probe, {
      job: 'throughput',
      builds: CONFIG.shallowBuilds,
      executors: CONFIG.executors,
      triggerConcurrency: CONFIG.triggerConcurrency,
      warmup: 2 * CONFIG.executors,
      timeoutMs: 15 * 60_000,
      maxOutstanding: 2 * CONFIG.executors,
    }),
  ));
  log(`throughput: ${CONFIG.throughputBuilds} builds on ${CONFIG.executors} executors`);
  const throughput = await timed('throughput', () => phase(probe, () =>
    measureThroughput(probe, {
      job: 'throughput',
      builds: CONFIG.throughputBuilds,
      executors: CONFIG.executors,
      triggerConcurrency: CONFIG.triggerConcurrency,
      warmup: 2 * CONFIG.executors,
      timeoutMs: 15 * 60_000,
    }),
  ));

  await h.stopAgent('agent-tp');

  // 4. Master memory over everything above.
  const peakRssMb = rss.peakMb('master');
  const peakAt = rss.peakAt('master') ?? 0;
  const peakWhen = windows.find(([, from, to]) => peakAt >= from && peakAt <= to)?.[0] ?? `between phases, after ${windows.filter(([, , to]) => to < peakAt).at(-1)?.[0] ?? 'start-up'}`;
  const rssSamples = rss.count('master');
  await h.stopMaster();

  // 5b. Restarts against the migrated database and the running Redis.
  const restarts: { readyMs: number; rssAtReadyMb: number }[] = [];
  for (let i = 0; i < CONFIG.restarts; i++) {
    const master = await startMaster(h.masterOptions);
    h.master = master; // stopped by the cleanup if anything below fails
    restarts.push({ readyMs: round(master.readyMs), rssAtReadyMb: round((rssKb(master.pid) ?? Number.NaN) / 1024) });
    log(`restart ${i + 1}: ready in ${Math.round(master.readyMs)} ms`);
    await master.stop();
    h.master = undefined;
  }
  const restart = summarize(restarts.map((r) => r.readyMs));

  // 6. Git: a second build's checkout on a large repository (the agent's checkout, no master needed).
  const git = await measureGitCheckout(log);

  const loadAtEnd = readFileSync('/proc/loadavg', 'utf8').trim();
  const L = latency.value;
  const T = throughput.value;
  const S = shallow.value;
  const C = consoleRun.value;
  const checks: Check[] = [
    check('latency: trigger→start p50', L.triggerToStart.p50, 'ms', 'max', 25),
    check('latency: trigger→finish p50', L.triggerToFinish.p50, 'ms', 'max', 50),
    check('throughput (8 executors)', T.buildsPerSecond, 'builds/s', 'min', 40),
    check('throughput / raw spawn rate', round((T.buildsPerSecond / raw.spawnsPerSecond) * 100), '%', 'min', 33.3),
    check('console ingest', C.mbPerSecond, 'MB/s', 'min', 50),
    check('master RSS during console', consoleRun.usage.rssPeakMb.master ?? Number.NaN, 'MB', 'max', 150),
    check('master RSS peak (whole run)', round(peakRssMb), 'MB', 'max', 150),
    check(`start-up to ready (median of ${restarts.length})`, restart.p50, 'ms', 'max', 2000),
    ...git.checks,
  ];
  /** The resource rows of a phase; `per` is what the work is counted in (builds, or MB of console). */
  const usage = (u: PhaseUsage, count: number, per = 'build'): [string, string][] => [
    ['wall', `${f(u.wallMs / 1000)} s`],
    ['CPU s', Object.entries(u.cpuMs).map(([k, v]) => `${k} ${f(v / 1000)}`).join(', ')],
    [`CPU ms per ${per}`, `${f(Object.values(u.cpuMs).reduce((a, b) => a + b, 0) / count)} (all of the above)`],
    [`page faults per ${per}`, Object.entries(u.pageFaults).map(([k, v]) => `${k} ${f(v / count)}`).join(', ')],
    ['Redis commands', `${u.redisCommands} (${f(u.redisCommands / count)} per ${per}): ${Object.entries(u.redisTopCommands).map(([k, v]) => `${k} ${v}`).join(', ')}`],
    ['PostgreSQL transactions', `${u.pgTransactions} (${f(u.pgTransactions / count)} per ${per})`],
    ['RSS MB at start → peak', Object.keys(u.rssPeakMb).map((k) => `${k} ${f(u.rssStartMb[k] ?? Number.NaN)} → ${f(u.rssPeakMb[k]!)}`).join(', ')],
    ['machine CPU (100% = 1 core)', `${u.machine.busyPercent}% busy, ${u.machine.othersPercent}% by other processes`],
  ];
  const s = (x: { p50: number; p99: number }) => `p50 ${f(x.p50)} ms, p99 ${f(x.p99)} ms`;
  const sections: { title: string; rows: [string, string][] }[] = [
    { title: 'Machine', rows: [['cores', `${facts.cores} × ${facts.cpu}`], ['node', facts.node], ['postgres / redis', `${facts.postgres} / ${facts.redis}`], ['code', facts.code], ...(CONFIG.masterNodeOptions || CONFIG.agentNodeOptions ? [['NODE_OPTIONS master / agents', `${CONFIG.masterNodeOptions || '-'} / ${CONFIG.agentNodeOptions || '-'}`] as [string, string]] : []), ...(CONFIG.masterNodeArgs || CONFIG.agentNodeArgs ? [['node flags master / agents', `${CONFIG.masterNodeArgs || '-'} / ${CONFIG.agentNodeArgs || '-'}`] as [string, string]] : []), ['load average at start', facts.loadAverageAtStart], ['load average at end', loadAtEnd]] },
    {
      title: `1. Latency: ${L.builds} sequential \`true\` builds, 1 agent × 2 executors, ${L.warmup} warm-up excluded, ${L.gapMs} ms apart`,
      rows: [
        ['trigger→start (SSE)', s(L.triggerToStart)],
        ['trigger→finish (SSE)', s(L.triggerToFinish)],
        ['POST trigger round trip', s(L.triggerRequest)],
        ['server startedAt−queuedAt', s(L.server.queuedToStart)],
        ['server finishedAt−queuedAt', s(L.server.queuedToFinish)],
        ['server finishedAt−startedAt', s(L.server.startToFinish)],
        ['not SUCCESS', String(L.failed)],
        ...usage(latency.usage, L.builds + L.warmup),
      ],
    },
    {
      title: `2. Throughput: ${T.builds} \`true\` builds, 1 agent × ${T.executors} executors, ${T.triggerConcurrency} triggers in flight`,
      rows: [
        ['builds/s (first trigger→last finish)', `${f(T.buildsPerSecond)} (${f(T.elapsedMs / 1000)} s)`],
        ['builds/s (10th–90th percentile finish)', f(T.steadyBuildsPerSecond)],
        ['triggers accepted/s', `${f(T.triggersPerSecond)} (${f(T.triggerPhaseMs / 1000)} s for all)`],
        ['trigger→finish under load', s(T.triggerToFinish)],
        ['trigger round trip, first / last tenth', `p50 ${f(T.triggerRequestFirstTenthP50)} ms / ${f(T.triggerRequestLastTenthP50)} ms`],
        ['raw spawn /bin/sh -c true', `${f(raw.spawnsPerSecond)}/s (${raw.spawns}, ${raw.concurrency} at a time)`],
        ['not SUCCESS', String(T.failed)],
        ...usage(throughput.usage, T.builds + T.warmup),
      ],
    },
    {
      title: `2b. The same with a shallow queue: ${S.builds} builds, at most ${S.maxOutstanding} unfinished at a time (not a target: shows the cost of a deep queue)`,
      rows: [
        ['builds/s (first trigger→last finish)', `${f(S.buildsPerSecond)} (${f(S.elapsedMs / 1000)} s)`],
        ['trigger round trip, first / last tenth', `p50 ${f(S.triggerRequestFirstTenthP50)} ms / ${f(S.triggerRequestLastTenthP50)} ms`],
        ['trigger→finish under load', s(S.triggerToFinish)],
        ['not SUCCESS', String(S.failed)],
        ...usage(shallow.usage, S.builds + S.warmup),
      ],
    },
    {
      title: `3. Console ingest: one build, \`${C.script}\``,
      rows: [
        ['bytes stored (X-Text-Size)', `${C.bytesStored} (${f(C.bytesStored / 1e6)} MB)`],
        ['start→finish', `${f(C.startToFinishMs / 1000)} s`],
        ['ingest', `${f(C.mbPerSecond)} MB/s (the pipeline alone into /dev/null: ${f(C.generatorMbPerSecond)} MB/s)`],
        ['result', `${C.result}${C.timedOut ? ' (aborted: too slow)' : ''}`],
        ...usage(consoleRun.usage, C.bytesStored / 1e6, 'MB'),
      ],
    },
    {
      title: '4. Master memory (VmRSS every 50 ms)',
      rows: [
        ['idle (after start-up and login)', `${f(idleRssMb)} MB`],
        ['peak (whole run)', `${f(peakRssMb)} MB over ${rssSamples} samples (${peakWhen})`],
      ],
    },
    {
      title: '5. Start-up to ready (spawn → GET /healthz 200)',
      rows: [
        ['first start (migrations)', `${f(h.firstStartMs)} ms`],
        ['restarts (migrated db, running Redis)', restarts.map((r) => `${f(r.readyMs)} ms`).join(', ')],
        ['RSS at ready', restarts.map((r) => `${f(r.rssAtReadyMb)} MB`).join(', ')],
      ],
    },
    { title: `6. Git checkout: ${git.numbers.files} files, ${git.numbers.commits} commits, over git http-backend (the agent's checkout code)`, rows: git.rows },
  ];
  console.log(renderTable(sections, checks));
  console.log();
  console.log(
    JSON.stringify(
      {
        machine: { ...facts, loadAverageAtEnd: loadAtEnd },
        config: CONFIG,
        latency: { ...L, usage: latency.usage },
        throughput: { ...T, rawSpawn: raw, usage: throughput.usage },
        throughputShallowQueue: { ...S, usage: shallow.usage },
        console: { ...C, usage: consoleRun.usage },
        memory: { idleRssMb: round(idleRssMb), peakRssMb: round(peakRssMb), samples: rssSamples },
        startup: { firstStartMs: round(h.firstStartMs), restarts, medianRestartMs: restart.p50 },
        git: git.numbers,
        targets: checks,
      },
      null,
      2,
    ),
  );
}

const cleanup = new Cleanup();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanup.run().finally(() => process.exit(130));
  });
}
try {
  await main(cleanup);
} catch (err) {
  // Once interrupted, the waits fail as the cleanup closes what they wait on: not worth a stack.
  if (!interrupted) log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup.run();
}
process.exit();
