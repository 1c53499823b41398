/**
 * What the UI shows about jobs, through the real master and a real agent: a running job keeps its
 * last result (not "never built"), Jenkins' build stability counts the builds it looked at, a job
 * names only the permalinks that exist, and Build History lists every build of every job.
 */
import test from 'ava';
import { builds, Fleet } from '../helpers/fleet.ts';
import { bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

const listed = async (name: string) => (await call(m.url, 'GET', '/api/jobs', { token: admin })).body.jobs.find((j: { name: string }) => j.name === name);
const permalinks = async (name: string) => (await call(m.url, 'GET', `/api/jobs/${name}`, { token: admin })).body.permalinks;
const NONE = { lastBuild: null, lastCompletedBuild: null, lastSuccessfulBuild: null, lastStableBuild: null, lastUnstableBuild: null, lastFailedBuild: null, lastUnsuccessfulBuild: null };

test('a never-built job: no permalinks, no weather', async (t) => {
  await builds(m, admin).job('idle', {});
  t.deepEqual(await permalinks('idle'), NONE);
  t.like(await listed('idle'), { status: 'NOT_BUILT', health: null, healthDescription: null });
});

test('stability counts the builds looked at; permalinks name what exists; a running job keeps its last result', async (t) => {
  t.timeout(90_000);
  await new Fleet(t, m, admin).agent('status-agent', { executors: 2 });
  const api = builds(m, admin);
  await api.job('flaky', { parameters: [{ type: 'choice', name: 'END', choices: ['ok', 'fail', 'hang'] }], concurrentBuild: true,
    steps: [{ type: 'shell', script: 'case "$END" in fail) exit 1;; hang) sleep 60;; esac' }] });
  const run = async (end: string) => {
    const res = await call(m.url, 'POST', '/api/jobs/flaky/builds', { token: admin, json: { parameters: { END: end } } });
    return api.numberOf(res.body.queueId);
  };
  await api.finished('flaky', await run('ok'));
  t.like(await listed('flaky'), { status: 'SUCCESS', health: 100, healthDescription: 'Build stability: No recent builds failed.' });
  await api.finished('flaky', await run('fail'));
  t.like(await listed('flaky'), { status: 'FAILURE', health: 50, healthDescription: 'Build stability: 1 out of the last 2 builds failed.' });
  t.deepEqual(await permalinks('flaky'), { ...NONE, lastBuild: 2, lastCompletedBuild: 2, lastSuccessfulBuild: 1, lastStableBuild: 1, lastFailedBuild: 2, lastUnsuccessfulBuild: 2 });

  const n = await run('hang');
  await until('build 3 to run', async () => (await api.get('flaky', n)).building === true);
  t.like(await listed('flaky'), { status: 'FAILURE', building: true }, 'the last completed build\'s result while #3 runs');
  t.is((await permalinks('flaky')).lastBuild, 3);
  t.is((await call(m.url, 'POST', `/api/jobs/flaky/builds/${n}/abort`, { token: admin })).status, 202);
  t.is((await api.finished('flaky', n)).result, 'ABORTED');
  t.like(await listed('flaky'), { status: 'ABORTED', health: 50, healthDescription: 'Build stability: 1 out of the last 2 builds failed.' }, 'an aborted build says nothing about stability');
});

test('Build History lists every build of every job, newest first, paged', async (t) => {
  // A master of its own: the list is of every job, so the other tests' builds would be in it.
  const own = await startTestMaster();
  t.teardown(() => own.close());
  const owner = await bootstrapAdmin(own.url);
  const agent = await registeredAgentToken(own.url, owner, { name: 'history-agent', executors: 1 });
  const build = async (job: string) => {
    const id = (await call(own.url, 'POST', `/api/jobs/${job}/builds`, { token: owner, json: {} })).body.queueId;
    const spec = await call(own.url, 'POST', `/api/agent/builds/${id}/start`, { token: agent, json: { executor: 0 } });
    t.is(spec.status, 200, spec.text);
    t.is((await call(own.url, 'POST', `/api/agent/builds/${id}/finish`, { token: agent, json: { result: 'SUCCESS', logSize: spec.body.logOffset } })).status, 200);
  };
  for (const job of ['one', 'two', 'other']) t.is((await call(own.url, 'POST', '/api/jobs', { token: owner, json: { name: job, steps: [{ type: 'shell', script: 'true' }] } })).status, 201);
  for (const job of ['one', 'two', 'one']) await build(job);
  // 'other' has no builds: nothing of it is listed.
  const all = (await call(own.url, 'GET', '/api/builds', { token: owner })).body.builds;
  t.deepEqual(all.map((b: { job: string; number: number }) => `${b.job}#${b.number}`), ['one#2', 'two#1', 'one#1']);
  const page1 = (await call(own.url, 'GET', '/api/builds?limit=2', { token: owner })).body.builds;
  const page2 = (await call(own.url, 'GET', `/api/builds?limit=2&before=${page1.at(-1).queueId}`, { token: owner })).body.builds;
  t.deepEqual([...page1, ...page2].map((b: { job: string; number: number }) => `${b.job}#${b.number}`), ['one#2', 'two#1', 'one#1']);
  t.is((await call(own.url, 'GET', '/api/builds?limit=0', { token: owner })).status, 400);
  t.is((await call(own.url, 'GET', '/api/builds')).status, 401);
});
