/**
 * An agent is untrusted: it gets only what its build's spec names and gives only what the job
 * asks it for (issue 11 #17). Each refusal is a 400 naming what was wrong, and changes nothing.
 */
import test from 'ava';
import { bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agent = await registeredAgentToken(m.url, admin, { name: 'lin', executors: 4 });
});
test.after.always(() => m?.close());

const job = async (name: string, extra: object = {}) => {
  const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, steps: [{ type: 'shell', script: 'true' }], ...extra } });
  if (res.status !== 201) throw new Error(res.text);
};
/** Each test runs its build on an executor of its own (the tests run side by side on one agent). */
const run = async (name: string, executor: number) => {
  const id = (await call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: {} })).body.queueId as number;
  const spec = (await call(m.url, 'POST', `/api/agent/builds/${id}/start`, { token: agent, json: { executor } })).body;
  return { id, spec };
};
const finish = (id: number, body: object) => call(m.url, 'POST', `/api/agent/builds/${id}/finish`, { token: agent, json: body });
const targets = async (name: string) => (await call(m.url, 'GET', `/api/jobs/${name}/builds`, { token: admin })).body.builds.map((b: { parameters: { TARGET: string } }) => b.parameters.TARGET);
const queuedTargets = async (name: string) => (await call(m.url, 'GET', '/api/queue', { token: admin })).body.items.filter((q: { job: string }) => q.job === name).map((q: { parameters: { TARGET: string } }) => q.parameters.TARGET);

test('finish: properties for a publisher that reads no properties file are refused (400), and the downstream build gets only what the job says', async (t) => {
  await job('deploy', { parameters: [{ type: 'string', name: 'TARGET', default: 'staging' }] });
  await job('build-it', { publishers: [{ type: 'triggerBuilds', projects: 'deploy', condition: 'ALWAYS' }] });
  const { id, spec } = await run('build-it', 0);
  t.deepEqual(spec.triggerFiles, [], 'the spec asks for no properties file');
  const forged = await finish(id, { result: 'SUCCESS', logSize: spec.logOffset, properties: [{ publisher: 0, texts: ['TARGET=prod'] }] });
  t.is(forged.status, 400, forged.text);
  t.regex(forged.body.error.message, /publisher 0 of build-it reads no properties file/);
  const other = await finish(id, { result: 'SUCCESS', logSize: spec.logOffset, properties: [{ publisher: 7, texts: ['TARGET=prod'] }] });
  t.is(other.status, 400, 'nor for a publisher that does not exist');
  t.deepEqual(await queuedTargets('deploy'), [], 'a refused finish triggered nothing');
  t.is((await finish(id, { result: 'SUCCESS', logSize: spec.logOffset })).status, 200);
  t.deepEqual(await queuedTargets('deploy'), ['staging']);
  t.deepEqual(await targets('deploy'), []);
});

test('finish: a publisher that names a properties file takes its texts, once per publisher', async (t) => {
  await job('deploy2', { parameters: [{ type: 'string', name: 'TARGET', default: 'staging' }] });
  await job('build-files', { publishers: [{ type: 'triggerBuilds', projects: 'deploy2', condition: 'ALWAYS', propertiesFile: 'out.properties' }] });
  const { id, spec } = await run('build-files', 1);
  t.deepEqual(spec.triggerFiles, [{ publisher: 0, propertiesFile: 'out.properties' }]);
  const twice = await finish(id, { result: 'SUCCESS', logSize: spec.logOffset, properties: [{ publisher: 0, texts: ['TARGET=a'] }, { publisher: 0, texts: ['TARGET=b'] }] });
  t.is(twice.status, 400, twice.text);
  t.is((await finish(id, { result: 'SUCCESS', logSize: spec.logOffset, properties: [{ publisher: 0, texts: ['TARGET=prod'] }] })).status, 200);
  t.deepEqual(await queuedTargets('deploy2'), ['prod']);
});

test('trigger step: properties for a step that names no properties file, or a result a step cannot run with, are refused (400)', async (t) => {
  await job('deploy3', { parameters: [{ type: 'string', name: 'TARGET', default: 'staging' }] });
  await job('stepper', { steps: [{ type: 'triggerBuilds', projects: 'deploy3' }] });
  const { id, spec } = await run('stepper', 2);
  const ask = (body: object) => call(m.url, 'POST', `/api/agent/builds/${id}/trigger`, { token: agent, json: { step: 0, resultSoFar: 'SUCCESS', ...body } });
  const forged = await ask({ properties: ['TARGET=prod'] });
  t.is(forged.status, 400, forged.text);
  t.regex(forged.body.error.message, /reads no properties file/);
  t.is((await ask({ resultSoFar: 'FAILURE' })).status, 400);
  t.deepEqual(await queuedTargets('deploy3'), [], 'nothing was triggered by the refused calls');
  t.is((await ask({})).status, 200);
  t.deepEqual(await queuedTargets('deploy3'), ['staging']);
  t.is((await finish(id, { result: 'SUCCESS', logSize: spec.logOffset })).status, 200);
});
