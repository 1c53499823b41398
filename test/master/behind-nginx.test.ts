/**
 * Behind the shipped infra/nginx.conf (the real nginx) with trust in the proxy, the master sees
 * the address nginx saw, whatever X-Forwarded-For the client sends: "Started by remote host" and
 * the login throttle cannot be fooled. Also: POST /logout reaches the master through nginx.
 */
import test, { type ExecutionContext } from 'ava';
import { webRoot } from '../../master/src/server.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startNginx, type RunningNginx } from '../helpers/nginx.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

interface BehindNginx {
  m: TestMaster;
  nginx: RunningNginx;
  /** The first user's token (logged in through nginx). */
  admin: string;
}
/** A master trusting its proxy, the real nginx in front of it, and its first user. */
async function behindNginx(): Promise<BehindNginx> {
  const dist = webRoot();
  if (!dist) throw new Error('web/dist is missing: run `npm run build:web`');
  const m = await startTestMaster({ trustProxy: true, throttle: { perName: 3, perAddress: 5, windowSeconds: 600 } });
  const nginx = await startNginx({ masterUrl: m.url, webDist: dist });
  return { m, nginx, admin: await bootstrapAdmin(nginx.url) };
}
const stop = async (sys: BehindNginx | undefined) => {
  await sys?.nginx.stop();
  await sys?.m.close();
};
/** A master and nginx of the test's own, for a test that reads what is master-wide (all jobs, one address's login failures). */
async function ownBehindNginx(t: ExecutionContext): Promise<BehindNginx> {
  const sys = await behindNginx();
  t.teardown(() => stop(sys));
  return sys;
}
const remoteJob = async ({ nginx, admin }: BehindNginx, name: string) => {
  const job = await call(nginx.url, 'POST', '/api/jobs', { token: admin, json: { name, triggers: { remoteToken: 'remote-token-123' } } });
  if (job.status !== 201) throw new Error(job.text);
};

/** For the tests that read only what they make. */
let shared: BehindNginx;
test.before(async () => {
  shared = await behindNginx();
});
test.after.always(() => stop(shared));

test('a forged X-Forwarded-For does not change the remote host of a remote trigger', async (t) => {
  const { nginx, admin } = shared;
  await remoteJob(shared, 'forged-deploy');
  const res = await call(nginx.url, 'POST', '/api/jobs/forged-deploy/builds?token=remote-token-123', { headers: { 'x-forwarded-for': '6.6.6.6' } });
  t.is(res.status, 201, res.text);
  const item = await call(nginx.url, 'GET', `/api/queue/${res.body.queueId}`, { token: admin });
  t.deepEqual(item.body.causes, ['Started by remote host 127.0.0.1']);
});

test('POST /logout goes through nginx to the master', async (t) => {
  const { nginx } = shared;
  const token = (await call(nginx.url, 'POST', '/login', { json: { username: 'admin', password: 'correct horse battery' }, headers: { 'x-forwarded-for': '10.1.1.1' } })).text;
  t.is((await call(nginx.url, 'POST', '/logout', { token })).status, 204);
  t.is((await call(nginx.url, 'GET', '/api/whoami', { token })).status, 401);
});

test("Jenkins' API and the UI's pages share /job/<name>/: each request reaches the right one", async (t) => {
  // Its own master: it lists every job.
  const sys = await ownBehindNginx(t);
  const { nginx, admin } = sys;
  await remoteJob(sys, 'deploy');
  const token = (await call(nginx.url, 'POST', '/api/users/admin/tokens', { token: admin, json: { name: 'nginx' } })).body.tokenValue;
  const basic = { authorization: `Basic ${Buffer.from(`admin:${token}`).toString('base64')}` };
  const root = await call(nginx.url, 'GET', '/');
  t.regex(root.text, /<html/i, 'GET / is the UI');
  t.truthy(root.headers.get('x-jenkins'), 'with X-Jenkins, as python-jenkins reads it');
  const page = await call(nginx.url, 'GET', '/job/deploy/');
  t.regex(page.text, /<html/i, "the job's page is the UI's");
  t.truthy(page.headers.get('x-jenkins'));
  t.regex((await call(nginx.url, 'GET', '/job/deploy/build')).text, /<html/i, 'the build form is the UI, without a token');
  const api = await call(nginx.url, 'GET', '/job/deploy/api/json?tree=name,color', { headers: basic });
  t.is(api.status, 200, api.text);
  t.deepEqual(api.body, { _class: 'hudson.model.FreeStyleProject', name: 'deploy', color: 'notbuilt' });
  t.truthy(api.headers.get('x-jenkins'));
  t.is((await fetch(`${nginx.url}/job/deploy/api/json`, { method: 'HEAD', headers: basic })).status, 200, 'HEAD: the job exists');
  t.is((await fetch(`${nginx.url}/job/nothing/api/json`, { method: 'HEAD', headers: basic })).status, 404);
  const rootApi = await call(nginx.url, 'GET', '/api/json?tree=jobs[name]', { headers: basic });
  t.deepEqual(rootApi.body.jobs.map((j: any) => j.name), ['deploy']);
  const remote = await call(nginx.url, 'GET', '/job/deploy/build?token=remote-token-123', { redirect: 'manual' });
  t.is(remote.status, 201, 'GET with the token builds (the master, not the UI)');
  t.regex(remote.headers.get('location')!, new RegExp(`^${nginx.url}/queue/item/\\d+/$`), "the Location is nginx's address, port included");
  const item = await call(nginx.url, 'GET', `/queue/item/${remote.headers.get('location')!.split('/').at(-2)}/api/json`, { headers: basic });
  t.is(item.body.task.name, 'deploy');
  t.deepEqual(item.body.actions[0].causes.map((c: any) => c.shortDescription), ['Started by remote host 127.0.0.1']);
  const post = await call(nginx.url, 'POST', '/job/deploy/disable', { headers: basic, redirect: 'manual' });
  t.is(post.status, 302, 'POSTs go to the master');
  t.is((await call(nginx.url, 'GET', '/job/deploy/config.xml', { headers: basic })).headers.get('x-jenkins') !== null, true);
  t.is((await call(nginx.url, 'POST', '/job/deploy/enable', { headers: basic, redirect: 'manual' })).status, 302);
  const consoleText = await call(nginx.url, 'GET', '/job/deploy/lastBuild/consoleText', { headers: basic });
  t.is(consoleText.status, 404, 'no build has run yet: the master says so (not the UI)');
});

test('rotating forged X-Forwarded-For addresses does not escape the per-address login throttle', async (t) => {
  // Its own master: it uses up the failures of the one address every request comes from (nginx's), which would block the others' logins.
  const { nginx } = await ownBehindNginx(t);
  for (let i = 0; i < 5; i++) {
    const res = await call(nginx.url, 'POST', '/login', { json: { username: `nobody-${i}`, password: 'wrong' }, headers: { 'x-forwarded-for': `10.0.0.${i}` } });
    t.is(res.status, 401);
  }
  const blocked = await call(nginx.url, 'POST', '/login', { json: { username: 'nobody-x', password: 'wrong' }, headers: { 'x-forwarded-for': '10.0.0.99' } });
  t.is(blocked.status, 429);
  t.truthy(blocked.headers.get('retry-after'));
});
