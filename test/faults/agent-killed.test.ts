/**
 * Fault: an agent process is SIGKILLed in the middle of a build (issue 3: nothing lost, designed
 * in, tested with real processes). The master ends the build FAILURE ("agent lost") and never runs
 * it again; the agent that comes back in the same workdir kills what its predecessor left running.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { AGENT_LOST_AFTER_MS, HEARTBEAT_INTERVAL_MS } from '../../shared/src/agent-protocol.ts';
import { builds, Fleet, processesWith } from '../helpers/fleet.ts';
import { bootstrapAdmin } from '../helpers/http.ts';
import { countCalls } from '../helpers/count-calls.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

const WATCHDOG_MS = 100;
const SWEEP_MS = 500;

/** An admin, builds and agents on `m`; the step processes carrying `marker` are killed after the test (only left if it failed). */
async function rig(t: ExecutionContext, m: TestMaster) {
  t.teardown(() => m.close());
  const admin = await bootstrapAdmin(m.url);
  const marker = `jk-fault-${randomUUID()}`;
  t.teardown(async () => {
    for (const pid of await processesWith(marker)) process.kill(pid, 'SIGKILL');
  });
  return { m, api: builds(m, admin), fleet: new Fleet(t, m, admin), marker };
}

test('with the production defaults, a build whose agent missed one heartbeat runs on; one silent past AGENT_LOST_AFTER_MS ends', async (t) => {
  t.timeout(60_000);
  const { m, api, fleet, marker } = await rig(t, await startTestMaster());
  await api.job('patient', { steps: [{ type: 'shell', script: `#!/bin/bash\nexec -a "${marker}" sleep 300` }] });
  const agent = await fleet.agent('slow-heartbeats');
  await api.numberOf(await api.trigger('patient'));
  await until('the step to sleep', async () => (await processesWith(marker)).length === 1, 15_000, 50);
  // The agent is stopped so no heartbeat or ping lands while the master's clock moves on.
  agent.process.kill('SIGSTOP');
  t.teardown(() => void agent.process.kill('SIGCONT'));

  // One heartbeat missed: the last word came two intervals ago, less the time it takes to send.
  m.clock.advance(2 * HEARTBEAT_INTERVAL_MS - 1000);
  t.is(await m.services.agentBuilds.endLostBuilds(AGENT_LOST_AFTER_MS), 0);
  t.is((await api.get('patient', 1)).result, null);

  m.clock.advance(AGENT_LOST_AFTER_MS + 1000 - (2 * HEARTBEAT_INTERVAL_MS - 1000));
  t.is(await m.services.agentBuilds.endLostBuilds(AGENT_LOST_AFTER_MS), 1);
  t.is((await api.get('patient', 1)).result, 'FAILURE');
});

test('kill -9 of an agent mid-build: FAILURE "agent lost" within seconds, never run again; its step dies when the agent comes back', async (t) => {
  t.timeout(90_000);
  const { m, api, fleet, marker } = await rig(t, await startTestMaster({}, { maintenance: { watchdogEveryMs: WATCHDOG_MS, sweepEveryMs: SWEEP_MS } }));
  // Build 1 starts a long sleep whose argv carries the marker; later builds just succeed.
  await api.job('victim', {
    label: 'linux',
    concurrentBuild: true,
    env: { MARKER: marker },
    steps: [{ type: 'shell', script: '#!/bin/bash\necho "running #$BUILD_NUMBER on $NODE_NAME"\nif [ "$BUILD_NUMBER" = 1 ]; then exec -a "$MARKER" sleep 300; fi' }],
  });

  const doomed = await fleet.agent('doomed', { labels: ['linux'] });
  const first = await api.trigger('victim');
  await api.numberOf(first);
  await until('the step to sleep', async () => (await processesWith(marker)).length === 1, 15_000, 50);
  t.is((await api.get('victim', 1)).agent, 'doomed');
  // A second agent that matches the label, idle and healthy, while the first one dies.
  const healthy = await fleet.agent('healthy', { labels: ['linux'] });

  const [sleeper] = await processesWith(marker);
  doomed.process.kill('SIGKILL');
  const killedAt = Date.now();
  await new Promise((r) => doomed.process.once('exit', r));
  // The agent is gone, so nothing it could do to the step is still to come.
  t.deepEqual(await processesWith(marker), [sleeper!], 'the step outlives its SIGKILLed agent (its own process group)');

  // Inside the production window the build runs on; once the master's clock has moved past it,
  // the watchdog's next look ends the build.
  t.is(await m.services.agentBuilds.endLostBuilds(AGENT_LOST_AFTER_MS), 0);
  t.is((await api.get('victim', 1)).result, null);
  m.clock.advance(AGENT_LOST_AFTER_MS);
  const lost = await api.finished('victim', 1, 60_000);
  const endedIn = Date.now() - killedAt;
  t.log(`kill -9 → FAILURE in ${endedIn} ms (the clock moved ${AGENT_LOST_AFTER_MS} ms; watchdog every ${WATCHDOG_MS} ms)`);
  t.is(lost.result, 'FAILURE');
  t.regex((await api.consoleOf('victim', 1)).toString(), /^Started by user admin\nRunning on doomed in .*\n[^]*running #1 on doomed\n\nFATAL: agent lost: doomed stopped answering; the build is not run again\nFinished: FAILURE\n$/);

  // Several queue sweeps (each would re-queue it, were it still queued) later, nobody ran it
  // again: not the healthy agent, not as another number. The sweeps are counted, not timed.
  const sweeps = countCalls(m.services.dispatcher, 'sweep');
  await until('five queue sweeps', () => sweeps.count >= 5, 20_000, 50);
  const text = (await api.consoleOf('victim', 1)).toString();
  t.is(text.split('Running on').length, 2);
  t.false(existsSync(join(healthy.workdir, 'workspace', 'victim')));
  const rows = await m.pool.any(sql.type(z.object({ number: z.number().nullable(), state: z.string(), agent_name: z.string().nullable() }))`
    SELECT number, state, agent_name FROM builds ORDER BY id`);
  t.deepEqual(rows, [{ number: 1, state: 'finished', agent_name: 'doomed' }]);

  // The healthy agent does take new builds of the job (so it could have taken build 1): #2, once.
  const second = await api.trigger('victim');
  t.is(await api.numberOf(second), 2);
  const b2 = await api.finished('victim', 2);
  t.like(b2, { result: 'SUCCESS', agent: 'healthy' });
  t.deepEqual(await processesWith(marker), [sleeper!], 'nothing but an agent in that workdir can end the orphaned step: it still runs');

  // The dead agent comes back (same name, same workdir): it kills what its predecessor left running.
  const back = doomed.respawn();
  await until('the agent to log in again', () => /logged in/.test(back.output.stdout), 20_000, 50);
  await until('the orphaned step to be gone', async () => (await processesWith(marker)).length === 0, 5000, 50);
  t.regex(back.output.stdout, /killed 1 process\(es\) a previous run of this agent left behind/);
  t.is((await api.get('victim', 1)).result, 'FAILURE');
});
