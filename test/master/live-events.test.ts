import test from 'ava';
import { agentLogin, bootstrapAdmin, call } from '../helpers/http.ts';
import { openSse } from '../helpers/sse.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

/** Logs in an agent of the calling test's own (2 executors); returns its POST. */
async function agentOf(name: string) {
  const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: 2 } });
  const agent = (await call(m.url, 'POST', '/login-slave', { json: agentLogin(name, body.secret) })).text;
  return (path: string, opts: { json?: unknown; raw?: string } = {}) =>
    call(m.url, 'POST', path, { token: agent, ...opts, headers: opts.raw !== undefined ? { 'content-type': 'application/octet-stream' } : {} });
}

test('/api/events pushes agent, queue and build events as they happen', async (t) => {
  const agentPost = await agentOf('ev');
  const sse = await openSse(`${m.url}/api/events`, admin);
  t.teardown(() => sse.close());
  const { body: late } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'late', executors: 1 } });
  await call(m.url, 'POST', '/login-slave', { json: agentLogin('late', late.secret) });
  await sse.waitFor((e) => e.event === 'agent.online' && e.data.agent === 'late');
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'evjob' } });
  const { body } = await call(m.url, 'POST', '/api/jobs/evjob/builds', { token: admin, json: {} });
  await sse.waitFor((e) => e.event === 'build.queued' && e.data.queueId === body.queueId);
  await sse.waitFor((e) => e.event === 'queue.changed');
  const spec = (await agentPost(`/api/agent/builds/${body.queueId}/start`, { json: { executor: 1 } })).body;
  t.like((await sse.waitFor((e) => e.event === 'build.started' && e.data.job === 'evjob')).data, { job: 'evjob', number: 1, agent: 'ev', executor: 1 });

  // The executor shows the build while it runs.
  const ev = (await call(m.url, 'GET', '/api/agents/ev', { token: admin })).body;
  t.deepEqual(ev.executorStatus.map((e: { idle: boolean }) => e.idle), [true, false]);
  t.like(ev.executorStatus[1], { job: 'evjob', build: 1 });

  await agentPost(`/api/agent/builds/${body.queueId}/finish`, { json: { result: 'UNSTABLE', logSize: spec.logOffset } });
  t.like((await sse.waitFor((e) => e.event === 'build.finished' && e.data.job === 'evjob')).data, { job: 'evjob', number: 1, result: 'UNSTABLE' });
  t.false(sse.events.some((e) => e.event === 'build.log'), 'console bytes are not broadcast');
});

test('the console stream sends what exists, then live bytes, resumes from an offset, and ends with the result', async (t) => {
  const agentPost = await agentOf('streamer');
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'streamed' } });
  const { body } = await call(m.url, 'POST', '/api/jobs/streamed/builds', { token: admin, json: {} });
  const spec = (await agentPost(`/api/agent/builds/${body.queueId}/start`, { json: { executor: 0 } })).body;
  let offset = spec.logOffset;
  const write = async (text: string) => {
    offset = (await agentPost(`/api/agent/builds/${body.queueId}/log?offset=${offset}`, { raw: text })).body.logSize;
  };
  await write('line one\n');
  const sse = await openSse(`${m.url}/api/jobs/streamed/builds/1/console`, admin);
  t.teardown(() => sse.close());
  await sse.waitFor((e) => e.event === 'log' && e.data.includes('line one'));
  await write('h\u00e9llo ');
  await write('w\u00f6rld\n');
  await sse.waitFor((e) => e.event === 'log' && e.data.includes('w\u00f6rld'));
  await agentPost(`/api/agent/builds/${body.queueId}/finish`, { json: { result: 'SUCCESS', logSize: offset } });
  const end = await sse.waitFor((e) => e.event === 'end');
  t.is(end.data.result, 'SUCCESS');
  await sse.ended;
  const streamed = sse.events.filter((e) => e.event === 'log').map((e) => e.data).join('');
  const stored = (await call(m.url, 'GET', '/api/jobs/streamed/builds/1/log', { token: admin })).text;
  t.is(streamed, stored);

  // Resuming from the id of an earlier event sends exactly the rest.
  const firstId = sse.events.find((e) => e.event === 'log')!.id!;
  const resumed = await openSse(`${m.url}/api/jobs/streamed/builds/1/console`, admin, { 'last-event-id': firstId });
  await resumed.ended;
  const rest = resumed.events.filter((e) => e.event === 'log').map((e) => e.data).join('');
  t.is(rest, Buffer.from(stored).subarray(Number(firstId)).toString());
});

// Serial: it measures this process's memory (where the master runs), which a concurrent test's
// builds and streams would add to.
test.serial('a slow console viewer does not make the master buffer the log for it; a fast one gets every byte', async (t) => {
  const agentPost = await agentOf('big-writer');
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'big' } });
  const { body } = await call(m.url, 'POST', '/api/jobs/big/builds', { token: admin, json: {} });
  const spec = (await agentPost(`/api/agent/builds/${body.queueId}/start`, { json: { executor: 0 } })).body;
  const MiB = 1024 * 1024;
  const line = `${'x'.repeat(99)}\n`;
  const block = line.repeat(MiB / 100);
  let offset = spec.logOffset;
  for (let i = 0; i < 48; i++) offset = (await agentPost(`/api/agent/builds/${body.queueId}/log?offset=${offset}`, { raw: block })).body.logSize;
  await agentPost(`/api/agent/builds/${body.queueId}/finish`, { json: { result: 'SUCCESS', logSize: offset } });

  // A viewer (another process) that reads slowly: the master, in this process, must not read the log ahead of it.
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--expose-gc');
  const gc = (await import('node:vm')).runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().arrayBuffers;
  const { spawn } = await import('node:child_process');
  const viewer = spawn('curl', ['-sN', '--limit-rate', '100K', '-H', `Authorization: Bearer ${admin}`, '-o', '/dev/null', `${m.url}/api/jobs/big/builds/1/console`]);
  t.teardown(() => viewer.kill('SIGKILL'));
  // The subject is time: two seconds of a viewer lagging far behind, in which a master that read
  // ahead of it would have buffered most of the 48 MiB (no event marks "would have read ahead").
  await new Promise((r) => setTimeout(r, 2000));
  gc();
  const held = process.memoryUsage().arrayBuffers - before;
  t.true(held < 30 * MiB, `the master held ${Math.round(held / MiB)} MiB for a slow viewer of a 48 MiB log`);
  viewer.kill('SIGKILL');

  // A viewer that reads at full speed gets every byte.
  const sse = await openSse(`${m.url}/api/jobs/big/builds/1/console`, admin);
  t.teardown(() => sse.close());
  await sse.ended;
  const stored = (await call(m.url, 'GET', '/api/jobs/big/builds/1', { token: admin })).body.logSize;
  t.is(sse.events.filter((e) => e.event === 'log').reduce((n, e) => n + Buffer.byteLength(e.data as string), 0), stored);
});
