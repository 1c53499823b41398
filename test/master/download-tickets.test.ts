/**
 * Download tickets through the real master and a real agent: a person asks for a ticket for one
 * download path (console as plain text, an artifact, artifacts.zip); the `?ticket=` link opens
 * exactly that, once, with GET, within 60 s — and is no token for anything else.
 */
import test from 'ava';
import { builds, Fleet } from '../helpers/fleet.ts';
import { bootstrapAdmin, call, login } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
const JOB = 'ship it.v2';
const base = `/api/jobs/${encodeURIComponent(JOB)}/builds/1`;

/** One finished build with two artifacts, made by a real agent before the tests; each test only reads it. */
test.before(async (t) => {
  t.timeout(60_000);
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  // ava allows no teardown in hooks: the agent is stopped when this hook ends, the build done by then.
  const stops: (() => void | Promise<void>)[] = [];
  try {
    await new Fleet({ teardown: (stop) => void stops.push(stop) }, m, admin).agent('dl-agent');
    const api = builds(m, admin);
    await api.job(JOB, {
      steps: [{ type: 'shell', script: 'echo "hello from the console"; mkdir -p out; echo one > out/a.txt; echo two > "out/b c.txt"' }],
      publishers: [{ type: 'archiveArtifacts', artifacts: 'out/*' }],
    });
    const n = await api.numberOf(await api.trigger(JOB));
    const result = (await api.finished(JOB, n)).result;
    if (result !== 'SUCCESS') throw new Error(`the build the tests read ended ${result}`);
  } finally {
    for (const stop of stops) await stop();
  }
});
test.after.always(() => m?.close());

const ticket = (path: string, token = admin) => call(m.url, 'POST', '/api/download-tickets', { token, json: { path } });

test('a ticket opens the console as plain text, an artifact and artifacts.zip without a token, each once', async (t) => {
  for (const [path, check] of [
    [`${base}/log`, (r: Response, body: Buffer) => t.regex(body.toString(), /hello from the console/) && t.regex(r.headers.get('content-type')!, /^text\/plain/)],
    [`${base}/artifacts/out/${encodeURIComponent('b c.txt')}`, (_r: Response, body: Buffer) => t.is(body.toString(), 'two\n')],
    [`${base}/artifacts.zip`, (r: Response, body: Buffer) => t.is(r.headers.get('content-type'), 'application/zip') && t.is(body.subarray(0, 2).toString(), 'PK')],
  ] as const) {
    const issued = await ticket(path);
    t.is(issued.status, 201, path);
    t.true(issued.body.url.startsWith(`${path}?ticket=`), issued.body.url);
    t.is(issued.body.expiresInSeconds, 60);
    const first = await fetch(`${m.url}${issued.body.url}`);
    t.is(first.status, 200, path);
    check(first, Buffer.from(await first.arrayBuffer()));
    const again = await fetch(`${m.url}${issued.body.url}`);
    t.is(again.status, 401, `${path}: a used ticket is refused`);
    t.regex((await again.json()).error.message, /expired or was already used/);
  }
});

test('a ticket is not a token: other paths, other methods and other builds are refused', async (t) => {
  const forOther = async (path: string, method = 'GET') => {
    const issued = await ticket(`${base}/log`);
    return fetch(`${m.url}${path}?ticket=${issued.body.ticket}`, { method });
  };
  t.is((await forOther(`${base}/artifacts.zip`)).status, 401, 'another download of the same build');
  t.is((await forOther(`/api/jobs/${encodeURIComponent(JOB)}/builds/2/log`)).status, 401, 'another build');
  t.is((await forOther('/api/users')).status, 401, 'an API path that is not a download');
  t.is((await forOther(`/api/jobs/${encodeURIComponent(JOB)}`)).status, 401, 'the job itself');
  t.is((await forOther(`${base}/abort`, 'POST')).status, 401, 'a POST');
  t.is((await forOther(`${base}/log`, 'DELETE')).status, 401, 'another method on the same path');
  t.is((await fetch(`${m.url}${base}/log?ticket=made-up`)).status, 401, 'an unknown ticket');
});

test('the same path spelled differently (%-escapes) is the same path', async (t) => {
  const issued = await ticket(`/api/jobs/${encodeURIComponent(JOB).replace('s', '%73')}/builds/1/log`);
  t.is(issued.status, 201);
  t.is((await fetch(`${m.url}${base}/log?ticket=${issued.body.ticket}`)).status, 200);
});

test('only download paths of builds that exist get a ticket, only for people, and a deleted person\'s ticket is refused', async (t) => {
  for (const path of ['/api/users', `/api/jobs/${encodeURIComponent(JOB)}`, `${base}/log?start=0`, `${base}/console`, 'log', '/api/jobs/%zz/builds/1/log']) {
    const res = await ticket(path);
    t.is(res.status, 400, path);
    t.is(res.body.error.code, 'bad_request', path);
  }
  t.is((await ticket(`/api/jobs/${encodeURIComponent(JOB)}/builds/99/log`)).status, 404, 'a build that does not exist');
  t.is((await ticket('/api/jobs/nope/builds/1/log')).status, 404, 'a job that does not exist');
  t.is((await call(m.url, 'POST', '/api/download-tickets', { json: { path: `${base}/log` } })).status, 401, 'no token, no ticket');
  t.is((await call(m.url, 'POST', '/api/download-tickets', { token: admin, json: { path: `${base}/log`, extra: 1 } })).status, 400, 'unknown fields');

  const reg = await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'leaving', password: 'leaving-soon-1' } });
  t.is(reg.status, 201);
  const issued = await ticket(`${base}/log`, await login(m.url, 'leaving', 'leaving-soon-1'));
  t.is(issued.status, 201);
  t.is((await call(m.url, 'DELETE', '/api/users/leaving', { token: admin })).status, 204);
  t.is((await fetch(`${m.url}${issued.body.url}`)).status, 401);
});

test('a ticket expires after 60 seconds', async (t) => {
  const issued = await ticket(`${base}/log`);
  const key = (await m.redis.keys(`${m.redisPrefix}download-ticket:*`)).find((k) => k.endsWith(issued.body.ticket))!;
  const ttl = await m.redis.ttl(key);
  t.true(ttl > 50 && ttl <= 60, `TTL ${ttl} s`);
  await m.redis.expire(key, 0); // what 60 s later looks like
  t.is((await fetch(`${m.url}${issued.body.url}`)).status, 401);
});
