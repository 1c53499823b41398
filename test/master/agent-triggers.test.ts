/** The trigger build step's agent API (AGENT_PATHS.trigger and .awaited), spoken by the test itself. */
import test from 'ava';
import { agentLogin, bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
const agents: Record<string, string> = {};
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  for (const name of ['runner', 'other']) {
    const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: 2, labels: [name] } });
    agents[name] = (await call(m.url, 'POST', '/login-slave', { json: agentLogin(name, body.secret) })).text;
    await call(m.url, 'POST', '/api/agent/heartbeat', { token: agents[name] });
  }
});
test.after.always(() => m?.close());

const job = async (json: object) => {
  const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json });
  if (res.status !== 201) throw new Error(res.text);
};
const as = (agent: string, method: string, path: string, json?: unknown) => call(m.url, method, path, { token: agents[agent], json });
/** Triggers `name` and starts it on `runner`: its build id. */
async function running(name: string): Promise<number> {
  const id = (await call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: {} })).body.queueId;
  const started = await as('runner', 'POST', `/api/agent/builds/${id}/start`, { executor: 0 });
  if (started.status !== 200) throw new Error(started.text);
  return id;
}

test('a trigger step queues its builds with an upstream cause; only they are watched, and only by the agent running the build', async (t) => {
  await job({ name: 'at-down', label: 'nobody', parameters: [{ type: 'string', name: 'WHERE' }] });
  await job({ name: 'at-up', label: 'runner', steps: [{ type: 'shell', script: 'true' }, { type: 'triggerBuilds', projects: 'at-down', predefinedParameters: 'WHERE=$WORKSPACE', block: {} }] });
  const id = await running('at-up');
  const request = { step: 1, resultSoFar: 'SUCCESS', env: { WORKSPACE: '/ws/at-up' } };
  t.is((await as('other', 'POST', `/api/agent/builds/${id}/trigger`, request)).status, 403, 'not its build');
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/trigger`, { ...request, step: 0 })).status, 409, 'step 1 is a shell step');
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/trigger`, { ...request, env: { PATH: '/bin' } })).status, 400, 'only the agent variables a trigger may use');

  const answer = await as('runner', 'POST', `/api/agent/builds/${id}/trigger`, request);
  t.is(answer.status, 200, answer.text);
  t.like(answer.body, { lines: [], failed: false, triggered: [{ job: 'at-down' }] });
  const downId = answer.body.triggered[0].queueId;
  const resent = await as('runner', 'POST', `/api/agent/builds/${id}/trigger`, request);
  t.deepEqual(resent.body, answer.body, 'a resent request (the answer was lost) gets the same answer');
  t.is((await call(m.url, 'GET', '/api/queue', { token: admin })).body.items.filter((i: { job: string }) => i.job === 'at-down').length, 1, 'and triggers nothing twice');
  const item = (await call(m.url, 'GET', `/api/queue/${downId}`, { token: admin })).body;
  t.like(item, { job: 'at-down', causes: ['Started by upstream project ‘at-up’ build number 1'], parameters: { WHERE: '/ws/at-up' } });

  const watched = await as('runner', 'GET', `/api/agent/builds/${id}/awaited?ids=${downId},${id}`);
  t.deepEqual(watched.body.builds, [{ queueId: downId, job: 'at-down', state: 'queued', number: null, result: null }], 'a build it does not await is left out');
  t.is((await as('other', 'GET', `/api/agent/builds/${id}/awaited?ids=${downId}`)).status, 403);
  t.is((await as('runner', 'GET', `/api/agent/builds/${id}/awaited?ids=x`)).status, 400);

  // The waiting build ends (say it was aborted): what it still awaited leaves the queue.
  const size = (await call(m.url, 'GET', `/api/jobs/at-up/builds/1`, { token: admin })).body.logSize;
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/finish`, { result: 'ABORTED', logSize: size })).status, 200);
  t.like((await call(m.url, 'GET', `/api/queue/${downId}`, { token: admin })).body, { cancelled: true, build: null });
});

test('a trigger step whose condition does not hold for the result so far queues nothing', async (t) => {
  await job({ name: 'ac-down' });
  await job({ name: 'ac-up', label: 'runner', steps: [{ type: 'triggerBuilds', projects: 'ac-down', condition: 'SUCCESS' }] });
  const id = await running('ac-up');
  const answer = await as('runner', 'POST', `/api/agent/builds/${id}/trigger`, { step: 0, resultSoFar: 'UNSTABLE' });
  t.like(answer.body, { failed: false, triggered: [], lines: ['Trigger condition SUCCESS does not hold for UNSTABLE; nothing triggered\n'] });
});

test('two waiting builds whose triggers merged into one quiet-period item both watch it', async (t) => {
  await job({ name: 'am-down', label: 'nobody', quietPeriod: 60 });
  await job({ name: 'am-up', label: 'runner', concurrentBuild: true, steps: [{ type: 'triggerBuilds', projects: 'am-down', block: {} }] });
  const [first, second] = [await running('am-up'), await running('am-up')];
  const a = (await as('runner', 'POST', `/api/agent/builds/${first}/trigger`, { step: 0, resultSoFar: 'SUCCESS' })).body.triggered[0].queueId;
  const b = (await as('runner', 'POST', `/api/agent/builds/${second}/trigger`, { step: 0, resultSoFar: 'SUCCESS' })).body.triggered[0].queueId;
  t.is(a, b, 'merged');
  for (const waiter of [first, second]) t.is((await as('runner', 'GET', `/api/agent/builds/${waiter}/awaited?ids=${a}`)).body.builds.length, 1);
  t.deepEqual((await call(m.url, 'GET', `/api/queue/${a}`, { token: admin })).body.causes, ['Started by upstream project ‘am-up’ build number 1', 'Started by upstream project ‘am-up’ build number 2']);
});
