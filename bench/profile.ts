/**
 * `node bench/profile.ts <latency|throughput|console> [count]`: one measurement of run.ts with the
 * master and the agent under `node --cpu-prof`, then where their CPU went. The .cpuprofile files
 * are kept (their folder is printed) for Chrome DevTools or speedscope.
 *   latency [builds=100]      sequential `true` builds, 1 agent × 2 executors
 *   throughput [builds=300]   `true` builds on 1 agent × 8 executors, 8 triggers in flight
 *   console [bytes=100000000] one build writing that much console
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderProfile, summarizeProfile } from './cpu-profile.ts';
import { startHarness } from './harness.ts';
import { consoleScript, measureConsole, measureLatency, measureThroughput, phase } from './measure.ts';
import { Cleanup, runBench } from './system.ts';

const [scenario = 'latency', countArg] = process.argv.slice(2);
if (!['latency', 'throughput', 'console'].includes(scenario)) {
  console.error('usage: node bench/profile.ts <latency|throughput|console> [count]');
  process.exit(2);
}
const out = mkdtempSync(join(tmpdir(), 'jk-bench-profile-'));
const log = (m: string) => console.error(`profile: ${m}`);
const prof = (name: string) => ({ NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${join(out, name)}` });

const cleanup = new Cleanup();
process.once('SIGINT', () => void cleanup.run().finally(() => process.exit(130)));
await runBench(cleanup, log, async () => {
  const h = await startHarness(cleanup, {
    adminUrl: process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    masterEnv: prof('master'),
    agentEnv: prof('agent'),
    log,
  });
  const run = async () => {
    if (scenario === 'latency') {
      await h.createJob('latency', 'lat', 'true');
      await h.runAgent('agent', 2, ['lat']);
      return measureLatency(h.probe, { job: 'latency', builds: Number(countArg ?? 100), warmup: 10, gapMs: 50 });
    }
    if (scenario === 'throughput') {
      await h.createJob('throughput', 'tp', 'true');
      await h.runAgent('agent', 8, ['tp']);
      return measureThroughput(h.probe, { job: 'throughput', builds: Number(countArg ?? 300), executors: 8, triggerConcurrency: 8, warmup: 16, timeoutMs: 15 * 60_000 });
    }
    const bytes = Number(countArg ?? 100_000_000);
    await h.createJob('console', 'tp', consoleScript(bytes));
    await h.runAgent('agent', 1, ['tp']);
    const r = await measureConsole(h.probe, { job: 'console', bytes, timeoutMs: 10 * 60_000 });
    return { ...r, progress: undefined };
  };
  const { value, usage } = await phase(h.probe, run);
  console.log(JSON.stringify({ scenario, value, usage }, null, 2));
  await h.stopAgent('agent');
  await h.stopMaster();
  for (const name of ['master', 'agent']) {
    for (const file of readdirSync(join(out, name)).filter((f) => f.endsWith('.cpuprofile'))) {
      console.log(`\n${renderProfile(`${name} (${join(out, name, file)})`, summarizeProfile(join(out, name, file)))}`);
    }
  }
});
