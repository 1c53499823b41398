/**
 * Which builds the agent takes, where and how fast: executors and workspaces, label routing, the
 * queue waking an idle agent, and the queue moving to another place. The real agent (startAgent,
 * in-process) against the real master (test-master.ts).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import test from 'ava';
import { call } from '../helpers/http.ts';
import { countCalls } from '../helpers/count-calls.ts';
import { until } from '../helpers/processes.ts';
import { startRig } from '../helpers/agent-rig.ts';

/** Each build waits until both have started, so that they surely overlap however loaded the machine. */
const WAIT_FOR_EACH_OTHER = `#!/bin/sh
echo "$WORKSPACE"
touch "$WORKSPACE/../started-$BUILD_NUMBER"
for i in $(seq 1 300); do [ -e "$WORKSPACE/../started-1" ] && [ -e "$WORKSPACE/../started-2" ] && exit 0; sleep 0.1; done
exit 1`;

test('two builds of one job at once get job and job@2', async (t) => {
  const rig = await startRig(t, { executors: 2 });
  await rig.job('same', { concurrentBuild: true, steps: [{ type: 'shell', script: WAIT_FOR_EACH_OTHER }] });
  const [qa, qb] = [await rig.trigger('same'), await rig.trigger('same')];
  const [a, b] = [await rig.finished(qa), await rig.finished(qb)];
  t.deepEqual([a.result, b.result], ['SUCCESS', 'SUCCESS']);
  const used = [a, b].map((x) => x.text.split('\n')[3]).sort();
  t.deepEqual(used, [join(rig.workdir, 'workspace', 'same'), join(rig.workdir, 'workspace', 'same@2')]);
  t.deepEqual([a.executor, b.executor].sort(), [0, 1]);
  const [first, second] = await Promise.all([rig.build('same', 1), rig.build('same', 2)]);
  t.true(Date.parse(second.startedAt) < Date.parse(first.finishedAt), 'they ran at the same time');
});

test('builds whose label the agent does not match are left alone; labels changed by an admin take effect', async (t) => {
  const rig = await startRig(t, { labels: ['linux'] });
  await rig.job('on-win', { label: 'windows', steps: [{ type: 'shell', script: 'true' }] });
  await rig.job('on-me', { label: 'a1 && linux', steps: [{ type: 'shell', script: 'true' }] });
  const onWin = await rig.trigger('on-win');
  const onMe = await rig.trigger('on-me');
  t.is((await rig.finished(onMe)).result, 'SUCCESS');
  // Several work-config reads later (counted where the master answers them) it still has not taken on-win.
  const reads = countCalls(rig.m.services.agentBuilds, 'workConfig');
  await until('three more work-config reads', () => reads.count >= 3, 10_000, 20);
  const waiting = await call(rig.m.url, 'GET', `/api/queue/${onWin}`, { token: rig.admin });
  t.like(waiting.body, { why: 'There are no nodes with the label ‘windows’' });
  t.is((await call(rig.m.url, 'PATCH', '/api/agents/a1', { token: rig.admin, json: { labels: ['windows'] } })).status, 200);
  const b = await rig.finished(onWin);
  t.is(b.result, 'SUCCESS');
  t.is(b.agent, 'a1');
});

test('trigger to start is quick: an idle agent is woken by the queue, it does not wait for a poll', async (t) => {
  const rig = await startRig(t, { executors: 1 });
  await rig.job('quick', { steps: [] });
  await rig.finished(await rig.trigger('quick')); // the agent is up and working its queue: the first start is not measured
  const latencies: number[] = [];
  for (let i = 0; i < 9; i++) {
    const b = await rig.finished(await rig.trigger('quick'));
    latencies.push(Date.parse(b.startedAt) - Date.parse(b.queuedAt));
  }
  latencies.sort((a, b) => a - b);
  t.log(`trigger → start (ms): ${latencies.join(', ')}`);
  t.true(latencies[4]! < 250, `median ${latencies[4]} ms`); // generous for a busy machine (idle: tens of ms); executor-pool.test.ts proves the wake-up
});

test('when the master moves the queue (a new Redis prefix), running builds finish and new ones come from the new place', async (t) => {
  const rig = await startRig(t, { maintenance: { sweepEveryMs: 500 } });
  const release = join(rig.workdir, 'release');
  await rig.job('job', { concurrentBuild: true, env: { RELEASE: release }, steps: [{ type: 'shell', script: '#!/bin/sh\necho one\nwhile [ ! -e "$RELEASE" ]; do sleep 0.05; done\necho two' }] });
  const running = await rig.trigger('job');
  const n = await rig.numberOf(running);
  await until('the build to run', async () => (await rig.consoleBytes('job', n)).includes('one\n'));
  const oldPrefix = rig.m.services.queue.prefix;
  await rig.m.restart({ redisPrefix: `jk-test:${randomUUID()}:`, downMs: 200 });
  t.not(rig.m.services.queue.prefix, oldPrefix);
  await until('the agent to see the move', () => rig.logs.some((m) => /the queue moved/.test(m)), 5000, 20);
  const next = await rig.trigger('job');
  await writeFile(release, ''); // the first build ends after the move (it waited for this file)
  const first = await rig.finished(running);
  t.is(first.result, 'SUCCESS'); // not aborted by the switch
  t.regex(first.text, /\none\ntwo\nFinished: SUCCESS\n$/);
  const second = await rig.finished(next);
  t.is(second.result, 'SUCCESS');
  t.true(Date.parse(second.startedAt) >= Date.parse((await rig.build('job', first.number)).finishedAt), 'the new place is worked once the old one drained');
});
