/**
 * Timeouts and lost agents on the master's one clock (master/src/clock.ts): each test moves its
 * own master's clock past the limit instead of waiting for it, and shows the build untouched
 * before. Each test has a master of its own, as moving a clock moves it for every build on it.
 */
import test, { type ExecutionContext } from 'ava';
import { AGENT_LOST_AFTER_MS } from '../../shared/src/agent-protocol.ts';
import { bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster } from '../helpers/test-master.ts';

/** A master whose watchdog looks often (it still judges silence by the production window), an admin, one agent logged in over HTTP, a job; its build started. */
async function startedBuild(t: ExecutionContext, job: object) {
  const m = await startTestMaster({}, { maintenance: { watchdogEveryMs: 50 } });
  t.teardown(() => m.close());
  const admin = await bootstrapAdmin(m.url);
  const agent = await registeredAgentToken(m.url, admin, { name: 'a1', executors: 1 });
  t.is((await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'j', steps: [{ type: 'shell', script: 'true' }], ...job } })).status, 201);
  const id = (await call(m.url, 'POST', '/api/jobs/j/builds', { token: admin, json: {} })).body.queueId as number;
  const spec = await call(m.url, 'POST', `/api/agent/builds/${id}/start`, { token: agent, json: { executor: 0 } });
  t.is(spec.status, 200);
  const agentCall = (path: string, json?: unknown) => call(m.url, 'POST', `/api/agent/builds/${id}/${path}`, { token: agent, json });
  const build = async () => (await call(m.url, 'GET', '/api/jobs/j/builds/1', { token: admin })).body;
  const consoleText = async () => (await call(m.url, 'GET', '/api/jobs/j/builds/1/log', { token: admin })).text;
  return { m, agentCall, build, consoleText, logOffset: spec.body.logOffset as number };
}

test('a build past timeoutMinutes on the master clock is told to abort at its next ping, and ends FAILURE', async (t) => {
  const { m, agentCall, build, consoleText, logOffset } = await startedBuild(t, { timeoutMinutes: 1 });
  // Pinging as an agent does, well inside the lost-agent window, up to a second short of its minute.
  for (const ms of [25_000, 25_000, 9_000]) {
    m.clock.advance(ms);
    t.false((await agentCall('ping')).body.abort);
  }
  m.clock.advance(1_000);
  t.true((await agentCall('ping')).body.abort);
  t.is((await agentCall('finish', { result: 'ABORTED', logSize: logOffset })).status, 200);
  t.is((await build()).result, 'FAILURE');
  t.regex(await consoleText(), /Build timed out\. Marking the build as failed\.\nFinished: FAILURE\n$/);
});

test('an agent silent for AGENT_LOST_AFTER_MS on the master clock has its build ended FAILURE "agent lost", never re-run', async (t) => {
  const { m, agentCall, build, consoleText, logOffset } = await startedBuild(t, {});
  m.clock.advance(AGENT_LOST_AFTER_MS - 1_000);
  t.is(await m.services.agentBuilds.endLostBuilds(AGENT_LOST_AFTER_MS), 0, 'silent for a second less than the window');
  t.is((await build()).state, 'running');
  m.clock.advance(1_001);
  await until('the watchdog to end the build', async () => (await build()).result === 'FAILURE', 10_000);
  t.regex(await consoleText(), /FATAL: agent lost: a1 stopped answering.*\nFinished: FAILURE\n$/);
  t.is((await agentCall('finish', { result: 'SUCCESS', logSize: logOffset })).body.result, 'FAILURE', 'a late finish cannot change it');
  t.is((await agentCall('start', { executor: 0 })).status, 409);
});

test('a ping keeps a build alive: silence is counted from the agent’s last word, on the master clock', async (t) => {
  const { m, agentCall, build } = await startedBuild(t, {});
  m.clock.advance(AGENT_LOST_AFTER_MS - 1_000);
  t.is((await agentCall('ping')).status, 200);
  m.clock.advance(2_000); // 31 s after the start, 2 s after the ping
  t.is(await m.services.agentBuilds.endLostBuilds(AGENT_LOST_AFTER_MS), 0);
  t.is((await build()).state, 'running');
});
