/**
 * Load: 1,000 builds of one concurrent job triggered at once over HTTP (issue 3: nothing lost,
 * designed in, tested with real processes). Two real agent processes run them; every trigger
 * gets a build, every build a result, every number from 1 to 1,000 is used exactly once.
 */
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { builds, Fleet } from '../helpers/fleet.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster } from '../helpers/test-master.ts';

const BUILDS = 1000;
const TRIGGER_CONCURRENCY = 16;

test('1,000 builds triggered at once: 1,000 results, every build number once', async (t) => {
  t.timeout(120_000);
  const m = await startTestMaster({}, { maintenance: { sweepEveryMs: 5000, watchdogEveryMs: 1000 } });
  t.teardown(() => m.close());
  const admin = await bootstrapAdmin(m.url);
  const api = builds(m, admin);
  const fleet = new Fleet(t, m, admin);
  await api.job('load', { concurrentBuild: true, steps: [{ type: 'shell', script: 'true' }] });
  await Promise.all([fleet.agent('load-1', { executors: 4 }), fleet.agent('load-2', { executors: 4 })]);

  const Count = z.object({ total: z.coerce.number(), finished: z.coerce.number(), running: z.coerce.number(), queued: z.coerce.number() });
  const counts = () =>
    m.pool.one(sql.type(Count)`SELECT count(*) AS total, count(*) FILTER (WHERE state = 'finished') AS finished,
      count(*) FILTER (WHERE state = 'running') AS running, count(*) FILTER (WHERE state = 'queued') AS queued FROM builds`);
  const started = Date.now();
  const queueIds: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: TRIGGER_CONCURRENCY }, async () => {
      while (next < BUILDS) {
        next++;
        queueIds.push(await api.trigger('load'));
      }
    }),
  );
  const triggered = Date.now() - started;
  t.is(new Set(queueIds).size, BUILDS);

  await until('every build to finish', async () => (await counts()).finished === BUILDS, 100_000, 250).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(await counts())}`);
  });
  const took = Date.now() - started;
  t.like(await counts(), { total: BUILDS, finished: BUILDS });

  // What people see: two pages of history, numbers 1..1000 once each, all SUCCESS.
  const seen: Array<{ number: number; result: string; queueId: number; agent: string }> = [];
  for (let before: number | undefined; ; ) {
    const page = await call(m.url, 'GET', `/api/jobs/load/builds?limit=500${before ? `&before=${before}` : ''}`, { token: admin });
    seen.push(...page.body.builds);
    if (page.body.builds.length < 500) break;
    before = page.body.builds.at(-1).number;
  }
  const numbers = seen.map((b) => b.number).sort((a, b) => a - b);
  t.deepEqual(numbers, Array.from({ length: BUILDS }, (_, i) => i + 1));
  t.deepEqual([...new Set(seen.map((b) => b.result))], ['SUCCESS']);
  t.deepEqual(seen.map((b) => b.queueId).sort((a, b) => a - b), [...queueIds].sort((a, b) => a - b));
  const perAgent = Object.groupBy(seen, (b) => b.agent);
  t.true((perAgent['load-1']?.length ?? 0) > 0 && (perAgent['load-2']?.length ?? 0) > 0);
  // Each console is whole: the cause, the agent, the step, its trace, the result.
  const whole = String.raw`^Started by user admin\nRunning on load-[12] in [^\n]*/workspace/load(@\d+)?\n\[load(@\d+)?\] \$ /bin/sh -xe [^\n]*\n\+ true\nFinished: SUCCESS\n$`;
  const bad = await m.pool.anyFirst(sql.type(z.object({ number: z.number() }))`
    SELECT b.number FROM builds b
    WHERE convert_from((SELECT string_agg(data, ''::bytea ORDER BY start_offset) FROM build_log_chunks c WHERE c.build_id = b.id), 'UTF8') !~ ${whole}`);
  t.deepEqual(bad, []);
  t.log(`${BUILDS} builds: triggered in ${triggered} ms, all finished after ${took} ms (${Math.round(BUILDS / (took / 1000))} builds/s); load-1 ran ${perAgent['load-1']?.length}, load-2 ${perAgent['load-2']?.length}`);
});
