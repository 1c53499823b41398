/**
 * Fault: an agent killed and restarted at once (what a supervisor does), well inside the
 * lost-agent window (issue 11 #16). A build belongs to one agent session: the restarted agent's
 * heartbeats do not keep its predecessor's build alive; its login ends that build FAILURE
 * ("agent lost") at once, and the job's next build runs.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { builds, Fleet, processesWith } from '../helpers/fleet.ts';
import { bootstrapAdmin } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster } from '../helpers/test-master.ts';

/** Far longer than the test waits: only the new session can end the build in time. */
const LOST_AFTER_MS = 120_000;

test('kill -9 and an immediate restart: the old session’s build ends FAILURE "agent lost" at once, and the next build runs', async (t) => {
  t.timeout(90_000);
  const m = await startTestMaster({}, { maintenance: { agentLostAfterMs: LOST_AFTER_MS, watchdogEveryMs: 500, sweepEveryMs: 500 } });
  t.teardown(() => m.close());
  const admin = await bootstrapAdmin(m.url);
  const api = builds(m, admin);
  const fleet = new Fleet(t, m, admin);
  const marker = `jk-restart-${randomUUID()}`;
  t.teardown(async () => {
    for (const pid of await processesWith(marker)) process.kill(pid, 'SIGKILL'); // only if the test failed
  });
  // Not concurrent: while #1 runs, #2 waits "already in progress".
  await api.job('service', {
    env: { MARKER: marker },
    steps: [{ type: 'shell', script: '#!/bin/bash\necho "running #$BUILD_NUMBER"\nif [ "$BUILD_NUMBER" = 1 ]; then exec -a "$MARKER" sleep 300; fi' }],
  });
  const agent = await fleet.agent('supervised');
  await api.numberOf(await api.trigger('service'));
  await until('the step to sleep', async () => (await processesWith(marker)).length === 1, 15_000, 50);
  const second = await api.trigger('service');

  agent.process.kill('SIGKILL');
  await new Promise((r) => agent.process.once('exit', r));
  const restartedAt = Date.now();
  const back = agent.respawn();
  await until('the agent to log in again', () => /logged in/.test(back.output.stdout), 20_000, 50).catch((err: Error) => {
    throw new Error(`${err.message}\n${back.output.stdout}${back.output.stderr}`);
  });

  const lost = await api.finished('service', 1, 20_000);
  const endedIn = Date.now() - restartedAt;
  t.log(`restart → FAILURE in ${endedIn} ms (the lost-agent window is ${LOST_AFTER_MS} ms)`);
  t.is(lost.result, 'FAILURE');
  t.regex((await api.consoleOf('service', 1)).toString(), /FATAL: agent lost: supervised started again \(a new session\); the build is not run again\nFinished: FAILURE\n$/);
  t.is(await api.numberOf(second), 2, 'the next build is not kept waiting');
  t.like(await api.finished('service', 2), { result: 'SUCCESS', agent: 'supervised' });
  await until('the orphaned step to be gone', async () => (await processesWith(marker)).length === 0, 5000, 50);
});
