/**
 * Where the time of a build goes, seen from between the agent and the master: the agent talks to
 * the master through a recording proxy in this process.
 *  - `node bench/timeline.ts [builds=50]`: sequential `true` builds, each a timeline (ms after the
 *    trigger): the trigger's answer, the agent's start call, its log and finish calls, and
 *    build.finished on /api/events. The gaps between the calls are the agent's own work (queue
 *    pick-up before start; workspace, step and clean-up between start and log).
 *  - `node bench/timeline.ts console [bytes=100000000]`: one build writing that much console; the
 *    agent's log calls (how many, how big, how long the master took, how long the agent idled).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness } from './harness.ts';
import { consoleScript } from './measure.ts';
import { roundSummary, summarize } from './stats.ts';
import { Cleanup, runBench, startAgent } from './system.ts';

interface Call {
  method: string;
  path: string;
  /** Request body bytes. */
  bytes: number;
  /** Request arrived at the proxy / the master's answer was complete (performance.now()). */
  in: number;
  out: number;
}

/** An HTTP proxy to `target` that records every call's timing. */
async function recordingProxy(target: string): Promise<{ url: string; calls: Call[]; close(): void }> {
  const calls: Call[] = [];
  const t = new URL(target);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const call: Call = { method: req.method!, path: req.url!, bytes: 0, in: performance.now(), out: 0 };
    req.on('data', (d: Buffer) => (call.bytes += d.length));
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
      answer.on('end', () => {
        call.out = performance.now();
        calls.push(call);
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => server.close() };
}

const consoleMode = process.argv[2] === 'console';
const builds = consoleMode ? 0 : Number(process.argv[2] ?? 50);
const consoleBytes = Number(process.argv[3] ?? 100_000_000);
const log = (m: string) => console.error(`timeline: ${m}`);
const cleanup = new Cleanup();
process.once('SIGINT', () => void cleanup.run().finally(() => process.exit(130)));
await runBench(cleanup, log, async () => {
  const h = await startHarness(cleanup, { adminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', log });
  const proxy = await recordingProxy(h.master!.url);
  cleanup.add('proxy', async () => proxy.close());
  await h.createJob('latency', 'lat', 'true');
  await h.createJob('console', 'lat', consoleScript(consoleBytes));
  const { secret } = await h.api.json<{ secret: string }>('POST', '/api/agents', { name: 'agent', executors: 2, labels: ['lat'] });
  const agent = startAgent({ url: proxy.url, name: 'agent', secret, workdir: join(h.root, 'agent') });
  cleanup.add('agent', () => agent.stop());

  if (consoleMode) {
    const from = proxy.calls.length;
    const t0 = performance.now();
    const queueId = await h.api.trigger('console');
    const seen = await h.events.finished(queueId, 10 * 60_000);
    const logs = proxy.calls.slice(from).filter((c) => c.path.includes('/log?'));
    const mb = logs.reduce((a, c) => a + c.bytes, 0) / 1e6;
    const idle = logs.slice(1).map((c, i) => c.in - logs[i]!.out);
    const kb = (x: number) => Math.round(x / 1000);
    const sizes = summarize(logs.map((c) => c.bytes));
    const took = summarize(logs.map((c) => c.out - c.in));
    console.log(`one build writing ${consoleBytes / 1e6} MB: build.started → build.finished ${Math.round(seen.finished! - seen.started!)} ms (trigger at 0: started ${Math.round(seen.started! - t0)}, finished ${Math.round(seen.finished! - t0)})`);
    console.log(`  log calls: ${logs.length}, ${mb.toFixed(1)} MB in all, first sent ${Math.round(logs[0]!.in - t0)} ms, last answered ${Math.round(logs.at(-1)!.out - t0)} ms after the trigger`);
    console.log(`  bytes per call:            p50 ${kb(sizes.p50)} kB, p90 ${kb(sizes.p90)} kB, max ${kb(sizes.max)} kB`);
    console.log(`  master's time per call:    p50 ${took.p50.toFixed(1)} ms, p90 ${took.p90.toFixed(1)} ms, max ${took.max.toFixed(1)} ms; sum ${Math.round(logs.reduce((a, c) => a + c.out - c.in, 0))} ms`);
    console.log(`  agent's gap between calls: p50 ${summarize(idle).p50.toFixed(1)} ms, p90 ${summarize(idle).p90.toFixed(1)} ms; sum ${Math.round(idle.reduce((a, b) => a + b, 0))} ms`);
    console.log(`  master ingest while a call is open: ${(mb / (logs.reduce((a, c) => a + c.out - c.in, 0) / 1000)).toFixed(1)} MB/s`);
  }

  if (!consoleMode) {
    const rows: Record<string, number>[] = [];
    for (let i = 0; i < builds + 10; i++) {
      const from = proxy.calls.length;
      const t0 = performance.now();
      const queueId = await h.api.trigger('latency');
      const answered = performance.now() - t0;
      const seen = await h.events.finished(queueId, 30_000);
      await sleep(50);
      if (i < 10) continue; // warm-up
      const calls = proxy.calls.slice(from).filter((c) => c.path.includes('/builds/'));
      const at = (kind: string, edge: 'in' | 'out') => (calls.find((c) => c.path.includes(`/${kind}`))?.[edge] ?? Number.NaN) - t0;
      const logs = calls.filter((c) => c.path.includes('/log'));
      rows.push({
        'trigger answered': answered,
        'agent calls start': at('start', 'in'),
        'start answered': at('start', 'out'),
        'agent sends log': at('log', 'in'),
        'log answered': (logs.at(-1)?.out ?? Number.NaN) - t0,
        'agent calls finish': at('finish', 'in'),
        'finish answered': at('finish', 'out'),
        'build.started on SSE': seen.started! - t0,
        'build.finished on SSE': seen.finished! - t0,
        'log calls': logs.length,
      });
    }
    const keys = Object.keys(rows[0]!);
    console.log(`${builds} sequential \`true\` builds (1 agent × 2 executors), ms after the trigger was sent:`);
    console.log(`  ${'event'.padEnd(24)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'p99'.padStart(7)}`);
    for (const k of keys) {
      const s = roundSummary(summarize(rows.map((r) => r[k]!).filter(Number.isFinite)));
      console.log(`  ${k.padEnd(24)} ${String(s.p50).padStart(7)} ${String(s.p90).padStart(7)} ${String(s.p99).padStart(7)}`);
    }
    const gap = (a: string, b: string) => roundSummary(summarize(rows.map((r) => r[b]! - r[a]!).filter(Number.isFinite)));
    console.log('\nintervals (p50 / p90 ms):');
    for (const [what, a, b] of [
      ['trigger answered → agent calls start (dispatch, queue pick-up)', 'trigger answered', 'agent calls start'],
      ['start call on the master', 'agent calls start', 'start answered'],
      ['start answered → agent sends log (workspace, step, clean-up)', 'start answered', 'agent sends log'],
      ['log call(s) on the master', 'agent sends log', 'log answered'],
      ['log answered → agent calls finish', 'log answered', 'agent calls finish'],
      ['finish call on the master', 'agent calls finish', 'finish answered'],
      ['finish answered → build.finished on SSE', 'finish answered', 'build.finished on SSE'],
    ] as const) {
      const s = gap(a, b);
      console.log(`  ${what.padEnd(66)} ${String(s.p50).padStart(6)} / ${s.p90}`);
    }
  }
});
