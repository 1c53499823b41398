/** The build lifecycle through the REST and agent APIs (the test speaks the agent protocol itself). */
import test from 'ava';
import { agentLogin, bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
const agents: Record<string, string> = {};
test.before(async () => {
  m = await startTestMaster({}, { maintenance: { sweepEveryMs: 200 } }); // timeouts and lost agents: build-clock.test.ts
  admin = await bootstrapAdmin(m.url);
  for (const [name, labels] of [['lin', ['linux']], ['win', ['windows']]] as const) {
    const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: 2, labels } });
    agents[name] = (await call(m.url, 'POST', '/login-slave', { json: agentLogin(name, body.secret) })).text;
    await call(m.url, 'POST', '/api/agent/heartbeat', { token: agents[name] });
  }
});
test.after.always(() => m?.close());

const job = (name: string, extra: object = {}) => call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, steps: [{ type: 'shell', script: 'true' }], ...extra } });
const trigger = async (name: string, parameters: object = {}) => {
  const res = await call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: { parameters } });
  if (res.status !== 201) throw new Error(`trigger ${name}: ${res.status} ${res.text}`);
  return res.body.queueId as number;
};
const agentCall = (agent: string, method: string, path: string, opts: { json?: unknown; raw?: string; headers?: Record<string, string> } = {}) =>
  call(m.url, method, path, { token: agents[agent], ...opts });
const start = (agent: string, id: number, executor = 0) => agentCall(agent, 'POST', `/api/agent/builds/${id}/start`, { json: { executor } });
const log = (agent: string, id: number, offset: number, text: string) =>
  agentCall(agent, 'POST', `/api/agent/builds/${id}/log?offset=${offset}`, { raw: text, headers: { 'content-type': 'application/octet-stream' } });
const finish = (agent: string, id: number, result: string, logSize: number) => agentCall(agent, 'POST', `/api/agent/builds/${id}/finish`, { json: { result, logSize } });
const consoleText = async (name: string, n: string | number) => (await call(m.url, 'GET', `/api/jobs/${name}/builds/${n}/log`, { token: admin })).text;

test('trigger → queue → start exactly once → console → finish', async (t) => {
  await job('basic', { parameters: [{ type: 'string', name: 'GREETING', default: 'hi' }, { type: 'boolean', name: 'LOUD' }] });
  const res = await call(m.url, 'POST', '/api/jobs/basic/builds', { token: admin, json: { parameters: { LOUD: true } } });
  t.is(res.status, 201);
  const id = res.body.queueId;
  t.is(res.headers.get('location'), `/api/queue/${id}`);
  const item = await call(m.url, 'GET', `/api/queue/${id}`, { token: admin });
  t.like(item.body, { id, job: 'basic', why: 'Waiting for next available executor', causes: ['Started by user admin'], parameters: { GREETING: 'hi', LOUD: true } });

  const spec = await start('lin', id);
  t.is(spec.status, 200);
  t.like(spec.body, { jobName: 'basic', number: 1, steps: [{ type: 'shell', script: 'true' }], masks: [], timeoutMinutes: null });
  t.like(spec.body.env, { BUILD_NUMBER: '1', BUILD_ID: '1', BUILD_DISPLAY_NAME: '#1', BUILD_TAG: 'jonkkins-basic-1', JOB_NAME: 'basic', GREETING: 'hi', LOUD: 'true', CI: 'true', BUILD_CAUSE: 'MANUALTRIGGER', BUILD_URL: 'http://jonkkins.test/job/basic/1/', JENKINS_URL: 'http://jonkkins.test/' });
  const again = await start('lin', id);
  t.is(again.status, 200, 'the same agent and executor asking again (a lost answer) gets the same build');
  t.like(again.body, { number: 1, logOffset: spec.body.logOffset });
  t.is((await start('lin', id, 1)).status, 409, 'a start for another executor is refused');
  t.is((await start('win', id)).status, 409);
  t.like((await call(m.url, 'GET', `/api/queue/${id}`, { token: admin })).body, { cancelled: false, build: { number: 1 } });

  const offset = spec.body.logOffset;
  t.is(await consoleText('basic', 1), 'Started by user admin\n');
  const first = await log('lin', id, offset, 'Running on lin\n');
  t.like(first.body, { abort: false, logSize: offset + 15 });
  t.is((await log('lin', id, offset, 'Running on lin\n')).body.logSize, offset + 15, 'a resent chunk is not doubled');
  const gap = await log('lin', id, offset + 100, 'later');
  t.is(gap.status, 409);
  t.is(gap.body.logSize, offset + 15);
  t.is((await log('win', id, offset + 15, 'intruder')).status, 403, 'another agent may not write');

  const progressive = await call(m.url, 'GET', `/api/jobs/basic/builds/1/log?start=${offset}`, { token: admin });
  t.is(progressive.text, 'Running on lin\n');
  t.is(progressive.headers.get('x-text-size'), String(offset + 15));
  t.is(progressive.headers.get('x-more-data'), 'true');

  t.is((await finish('lin', id, 'SUCCESS', offset)).status, 409, 'finish with a short log is a gap');
  const done = await finish('lin', id, 'SUCCESS', offset + 15);
  t.is(done.body.result, 'SUCCESS');
  const text = await consoleText('basic', 'lastBuild');
  t.is(text, 'Started by user admin\nRunning on lin\nFinished: SUCCESS\n');
  const finalRead = await call(m.url, 'GET', '/api/jobs/basic/builds/1/log', { token: admin });
  t.is(finalRead.headers.get('x-more-data'), null);
  const build = await call(m.url, 'GET', '/api/jobs/basic/builds/1', { token: admin });
  t.like(build.body, { number: 1, result: 'SUCCESS', building: false, agent: 'lin', executor: 0, parameters: { GREETING: 'hi', LOUD: true } });
  t.true(build.body.durationMs >= 0);
  t.is((await call(m.url, 'GET', '/api/jobs/basic/builds/lastSuccessfulBuild', { token: admin })).body.number, 1);
});

test('finish may carry the last console bytes: stored at their offset, once, in the finishing call', async (t) => {
  await job('tail');
  const id = await trigger('tail');
  const spec = await start('lin', id);
  const offset = spec.body.logOffset;
  await log('lin', id, offset, 'one\n');
  const end = (from: number, text: string) => ({ offset: from, data: Buffer.from(text).toString('base64') });
  const finishWith = (logSize: number, tail: object) => agentCall('lin', 'POST', `/api/agent/builds/${id}/finish`, { json: { result: 'SUCCESS', logSize, log: tail } });
  const gap = await finishWith(offset + 12, end(offset + 8, 'two\n'));
  t.is(gap.status, 409, 'bytes past the end are a gap');
  t.is(gap.body.logSize, offset + 4);
  const short = await finishWith(offset + 9, end(offset, 'one\ntwo\n'));
  t.is(short.status, 409, 'a logSize that does not match is a gap, and nothing is kept');
  t.is(short.body.logSize, offset + 4);
  // The tail overlaps what the master has (a log call that timed out on the agent but arrived).
  t.is((await finishWith(offset + 8, end(offset, 'one\ntwo\n'))).body.result, 'SUCCESS');
  t.is((await finishWith(offset + 8, end(offset, 'one\ntwo\n'))).body.result, 'SUCCESS', 'a repeated finish is answered alike');
  t.is(await consoleText('tail', 1), 'Started by user admin\none\ntwo\nFinished: SUCCESS\n');
});

test('bad parameters are refused with the parameter named', async (t) => {
  await job('params', { parameters: [{ type: 'choice', name: 'ENV', choices: ['dev', 'prod'] }] });
  const unknown = await call(m.url, 'POST', '/api/jobs/params/builds', { token: admin, json: { parameters: { NOPE: 'x' } } });
  t.is(unknown.status, 400);
  t.regex(unknown.body.error.message, /Unknown parameter\(s\): NOPE/);
  const choice = await call(m.url, 'POST', '/api/jobs/params/builds', { token: admin, json: { parameters: { ENV: 'staging' } } });
  t.is(choice.status, 400);
  t.regex(choice.body.error.message, /parameter ENV: 'staging' is not one of its choices: 'dev', 'prod'/);
});

test('a password parameter reaches the agent in plain text, masked everywhere people look', async (t) => {
  await job('pw', { parameters: [{ type: 'password', name: 'TOKEN' }] });
  const id = await trigger('pw', { TOKEN: 's3cr3t-value' });
  t.is((await call(m.url, 'GET', `/api/queue/${id}`, { token: admin })).body.parameters.TOKEN, '****');
  const spec = await start('lin', id);
  t.is(spec.body.env.TOKEN, 's3cr3t-value');
  t.deepEqual(spec.body.masks, ['s3cr3t-value']);
  await finish('lin', id, 'SUCCESS', spec.body.logOffset);
  t.is((await call(m.url, 'GET', '/api/jobs/pw/builds/1', { token: admin })).body.parameters.TOKEN, '****');
});

test('label routing: a build only starts on an agent whose labels match, and the queue says why', async (t) => {
  await job('needs-mac', { label: 'mac' });
  const mac = await trigger('needs-mac');
  t.is((await call(m.url, 'GET', `/api/queue/${mac}`, { token: admin })).body.why, 'There are no nodes with the label ‘mac’');
  await job('needs-linux', { label: 'linux && !windows' });
  const id = await trigger('needs-linux');
  t.is((await call(m.url, 'GET', `/api/queue/${id}`, { token: admin })).body.why, 'Waiting for next available executor on ‘linux && !windows’');
  const wrong = await start('win', id);
  t.is(wrong.status, 409);
  t.regex(wrong.body.error.message, /does not match/);
  t.is((await start('lin', id)).status, 200);
  await call(m.url, 'DELETE', `/api/queue/${mac}`, { token: admin });
});

test('cancelled queue items use no build number; a non-concurrent job runs one build at a time', async (t) => {
  await job('serial');
  const [a, b, c] = [await trigger('serial'), await trigger('serial'), await trigger('serial')];
  t.is((await call(m.url, 'DELETE', `/api/queue/${a}`, { token: admin })).status, 204);
  t.like((await call(m.url, 'GET', `/api/queue/${a}`, { token: admin })).body, { cancelled: true, build: null });
  const first = await start('lin', b);
  t.is(first.body.number, 1);
  const queued = await call(m.url, 'GET', `/api/queue/${c}`, { token: admin });
  t.is(queued.body.why, 'Build #1 is already in progress');
  t.is((await start('lin', c, 1)).status, 409);
  await finish('lin', b, 'SUCCESS', first.body.logOffset);
  const second = await start('lin', c, 1);
  t.is(second.body.number, 2);
});

test('abort: the agent is told at its next ping, and the build ends ABORTED whatever it reports', async (t) => {
  await job('abortable');
  const id = await trigger('abortable');
  const spec = await start('lin', id);
  t.false((await agentCall('lin', 'POST', `/api/agent/builds/${id}/ping`)).body.abort);
  t.is((await call(m.url, 'POST', '/api/jobs/abortable/builds/1/abort', { token: admin })).status, 202);
  t.true((await agentCall('lin', 'POST', `/api/agent/builds/${id}/ping`)).body.abort);
  await finish('lin', id, 'FAILURE', spec.body.logOffset);
  const build = await call(m.url, 'GET', '/api/jobs/abortable/builds/1', { token: admin });
  t.like(build.body, { result: 'ABORTED', abortedBy: 'admin' });
  t.regex(await consoleText('abortable', 1), /Aborted by admin\nFinished: ABORTED\n$/);
});

test('the build discarder keeps the newest numToKeep builds and always the last successful one', async (t) => {
  await job('rotating', { concurrentBuild: true, buildDiscarder: { numToKeep: 2 } });
  const results = ['SUCCESS', 'FAILURE', 'FAILURE', 'FAILURE'];
  for (const result of results) {
    const id = await trigger('rotating');
    const spec = await start('lin', id);
    await finish('lin', id, result, spec.body.logOffset);
  }
  const kept = (await call(m.url, 'GET', '/api/jobs/rotating/builds', { token: admin })).body.builds.map((b: { number: number }) => b.number);
  t.deepEqual(kept, [4, 3, 1]);
  t.is((await call(m.url, 'GET', '/api/jobs/rotating/builds/2/log', { token: admin })).status, 404);
});

test('a file parameter: multipart trigger, its variable holds the file name, the agent fetches the exact bytes', async (t) => {
  await job('uploads', { parameters: [{ type: 'file', name: 'BUNDLE' }, { type: 'string', name: 'NOTE' }] });
  const bytes = Buffer.alloc(5 * 1024 * 1024 + 123);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256; // binary, every byte value
  const form = new FormData();
  form.append('NOTE', 'with a file');
  form.append('BUNDLE', new Blob([bytes]), '../../etc/evil name.bin');
  const res = await fetch(`${m.url}/api/jobs/uploads/builds`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
  t.is(res.status, 201);
  const { queueId } = (await res.json()) as { queueId: number };
  const spec = await start('lin', queueId);
  t.is(spec.body.env.BUNDLE, 'evil name.bin', 'the directory part of an uploaded name is dropped');
  t.is(spec.body.env.NOTE, 'with a file');
  const { createHash } = await import('node:crypto');
  t.deepEqual(spec.body.files, [{ parameter: 'BUNDLE', fileName: 'evil name.bin', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }]);
  const download = await fetch(`${m.url}/api/agent/builds/${queueId}/files/BUNDLE`, { headers: { authorization: `Bearer ${agents.lin}` } });
  t.is(download.status, 200);
  t.true(Buffer.from(await download.arrayBuffer()).equals(bytes));
  const other = await fetch(`${m.url}/api/agent/builds/${queueId}/files/BUNDLE`, { headers: { authorization: `Bearer ${agents.win}` } });
  t.is(other.status, 403, 'only the agent running the build may fetch its files');
  await finish('lin', queueId, 'SUCCESS', spec.body.logOffset);
});

test('a file parameter sent as a plain value, or a file for a non-file parameter, is refused', async (t) => {
  await job('uploads2', { parameters: [{ type: 'file', name: 'F' }, { type: 'string', name: 'S' }] });
  const plain = await call(m.url, 'POST', '/api/jobs/uploads2/builds', { token: admin, json: { parameters: { F: 'x' } } });
  t.is(plain.status, 400);
  const form = new FormData();
  form.append('S', new Blob([Buffer.from('x')]), 'x.txt');
  const wrong = await fetch(`${m.url}/api/jobs/uploads2/builds`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
  t.is(wrong.status, 400);
  t.regex(((await wrong.json()) as { error: { message: string } }).error.message, /S is not a file parameter/);
});

test('triggers during the quiet period merge into the identical item, causes counted; other parameters make a new item', async (t) => {
  await job('quiet', { quietPeriod: 30, parameters: [{ type: 'string', name: 'P', default: 'a' }] });
  const ids = [await trigger('quiet'), await trigger('quiet', { P: 'a' }), await trigger('quiet')];
  t.deepEqual(new Set(ids).size, 1, 'one item for three identical triggers');
  const other = await trigger('quiet', { P: 'b' });
  t.not(other, ids[0]);
  const item = (await call(m.url, 'GET', `/api/queue/${ids[0]}`, { token: admin })).body;
  t.deepEqual(item.causes, ['Started by user admin (3 times)']);
  t.regex(item.why, /^In the quiet period\. Expires in (2[0-9]|30) s$/); // 30 s, less the time the triggers took on a loaded machine
  await call(m.url, 'DELETE', `/api/queue/${ids[0]}`, { token: admin });
  await call(m.url, 'DELETE', `/api/queue/${other}`, { token: admin });
});

test('with no quiet period nothing merges: every trigger is its own build', async (t) => {
  await job('eager', { concurrentBuild: true });
  const ids = await Promise.all(Array.from({ length: 5 }, () => trigger('eager')));
  t.is(new Set(ids).size, 5);
});
