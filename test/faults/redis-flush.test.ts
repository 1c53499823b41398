/**
 * Fault: Redis loses everything (FLUSHALL) while builds are queued (issue 3: nothing lost,
 * designed in, tested with real processes). PostgreSQL is the truth: the master's maintenance
 * sweep puts every queued build back on the queue, and every one of them runs. Each test has a
 * private redis-server (startEmbeddedRedis) shared by its master and its agent process.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startEmbeddedRedis } from '../../master/src/embedded/redis.ts';
import { createLogger } from '../../master/src/log.ts';
import { builds, Fleet } from '../helpers/fleet.ts';
import { bootstrapAdmin } from '../helpers/http.ts';
import { countCalls } from '../helpers/count-calls.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster } from '../helpers/test-master.ts';

const SWEEP_MS = 500;

async function setup(t: ExecutionContext) {
  const home = await mkdtemp(join(tmpdir(), 'jk-flush-'));
  const redis = await startEmbeddedRedis({ home, log: createLogger('silent') });
  const m = await startTestMaster({}, { redisUrl: redis.url, maintenance: { sweepEveryMs: SWEEP_MS, watchdogEveryMs: 500 } });
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('any', { connection: client, prefix: m.services.queue.prefix });
  t.teardown(async () => {
    await m.close();
    await queue.close();
    client.disconnect();
    await redis.stop();
    await rm(home, { recursive: true, force: true });
  });
  const admin = await bootstrapAdmin(m.url);
  return { m, admin, api: builds(m, admin), fleet: new Fleet(t, m, admin), client, queue };
}

test('FLUSHALL while builds are queued and no agent runs: the sweep re-enqueues them from PostgreSQL and every one runs', async (t) => {
  t.timeout(60_000);
  const { admin, api, fleet, client, queue, m } = await setup(t);
  await api.job('many', { concurrentBuild: true, steps: [{ type: 'shell', script: 'echo "build $BUILD_NUMBER"' }] });
  await api.job('serial', { steps: [{ type: 'shell', script: 'echo "build $BUILD_NUMBER"' }] });
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push({ job: 'many', id: await api.trigger('many') });
  for (let i = 0; i < 3; i++) ids.push({ job: 'serial', id: await api.trigger('serial') });
  // A non-concurrent job has only its oldest queued build on the queue; the rest wait in PostgreSQL.
  t.is(await queue.getWaitingCount(), 6);

  t.is(await client.flushall(), 'OK');
  const flushedAt = Date.now();
  await until('the sweep to refill the queue', async () => (await queue.getWaitingCount()) === 6, 10 * SWEEP_MS, 20);
  t.log(`queue refilled ${Date.now() - flushedAt} ms after FLUSHALL (sweep every ${SWEEP_MS} ms)`);

  await fleet.agent('late', { executors: 2 });
  for (const { job, id } of ids) {
    const n = await api.numberOf(id);
    const b = await api.finished(job, n);
    t.is(b.result, 'SUCCESS', `${job} #${n}`);
    t.regex((await api.consoleOf(job, n)).toString(), new RegExp(`\\nbuild ${n}\\nFinished: SUCCESS\\n$`));
  }
  const numbers = async (job: string) =>
    (await (await fetch(`${m.url}/api/jobs/${job}/builds`, { headers: { authorization: `Bearer ${admin}` } })).json()).builds.map((b: { number: number }) => b.number);
  t.deepEqual(await numbers('many'), [5, 4, 3, 2, 1]);
  t.deepEqual(await numbers('serial'), [3, 2, 1]);
});

test('FLUSHALL while the agent’s executors are busy and builds wait: the running build finishes, the waiting ones all run', async (t) => {
  t.timeout(60_000);
  const { api, fleet, client, queue } = await setup(t);
  const release = join(await mkdtemp(join(tmpdir(), 'jk-release-')), 'go');
  t.teardown(() => rm(join(release, '..'), { recursive: true, force: true }));
  await fleet.agent('busy', { executors: 1 });
  await api.job('blocker', { env: { RELEASE: release }, steps: [{ type: 'shell', script: '#!/bin/sh\necho waiting\nwhile [ ! -e "$RELEASE" ]; do sleep 0.05; done\necho released' }] });
  await api.job('many', { concurrentBuild: true, steps: [{ type: 'shell', script: 'echo "build $BUILD_NUMBER"' }] });
  const blocker = await api.trigger('blocker');
  await until('the blocker to run', async () => (await api.consoleOf('blocker', await api.numberOf(blocker))).includes('waiting\n'));
  const waiting = [];
  for (let i = 0; i < 4; i++) waiting.push(await api.trigger('many'));
  t.is(await queue.getWaitingCount(), 4); // the only executor is busy: they stay on the queue
  t.is(await queue.getActiveCount(), 1);

  t.is(await client.flushall(), 'OK');
  await until('the sweep to refill the queue', async () => (await queue.getWaitingCount()) === 4, 10 * SWEEP_MS, 20);
  await writeFile(release, '');

  const b = await api.finished('blocker', 1);
  t.is(b.result, 'SUCCESS');
  t.regex((await api.consoleOf('blocker', 1)).toString(), /\nwaiting\nreleased\nFinished: SUCCESS\n$/);
  const results = [];
  for (const id of waiting) results.push((await api.finished('many', await api.numberOf(id))).result);
  t.deepEqual(results, ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
});

test('a queue job lost on its own (not a FLUSHALL) comes back at the next sweep; the sweep does not re-add the jobs that are there', async (t) => {
  t.timeout(60_000);
  const { m, api, client, queue } = await setup(t);
  await api.job('many', { concurrentBuild: true, steps: [{ type: 'shell', script: 'true' }] });
  const ids: number[] = [];
  for (let i = 0; i < 6; i++) ids.push(await api.trigger('many'));
  t.is(await queue.getWaitingCount(), 6);
  // Scripts run on Redis: every add of a build to its queue is one (BullMQ's addStandardJob).
  const scriptCalls = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);

  await queue.remove(`build-${ids[2]}`);
  t.is(await queue.getWaitingCount(), 5);
  await until('the sweep to put the lost one back', async () => (await queue.getJob(`build-${ids[2]}`)) !== undefined, 10 * SWEEP_MS, 20);
  t.is(await queue.getWaitingCount(), 6);

  // Three more sweeps with six builds queued and none lost: re-adding them all would be ≥ 18 scripts.
  const before = await scriptCalls();
  // The sweeps are counted where they run, not timed.
  const sweeps = countCalls(m.services.dispatcher, 'sweep');
  await until('three more sweeps', () => sweeps.count >= 3, 20 * SWEEP_MS, 20);
  t.true((await scriptCalls()) - before < 6, 'no sweep re-added the builds that were on the queue');
  t.is(await queue.getWaitingCount(), 6);
});
