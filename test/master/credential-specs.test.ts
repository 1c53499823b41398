/**
 * What a build's spec carries of the credentials store (the test speaks the agent protocol itself):
 * exactly the credentials its job names, their masks; nothing for a job that names none; a job
 * naming one it may not use fails at start with the reason in its console, no spec handed out.
 */
import test from 'ava';
import { bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: string;
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAAC2tleS1saW5lLXR3bw==\n-----END OPENSSH PRIVATE KEY-----\n';
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agent = await registeredAgentToken(m.url, admin, { name: 'lin', executors: 4 });
  const add = (json: object) => call(m.url, 'POST', '/api/credentials', { token: admin, json });
  await add({ id: 'token', kind: 'secretText', secret: 'tok-secret-1' });
  await add({ id: 'login', kind: 'usernamePassword', username: 'deployer', password: 'pw-secret-2' });
  await add({ id: 'key', kind: 'sshPrivateKey', username: 'git', privateKey: KEY, passphrase: 'phrase-3' });
  await add({ id: 'cfg', kind: 'secretFile', fileName: 'cfg.ini', content: Buffer.from('line=one-4\nline=two-5\n').toString('base64') });
  await add({ id: 'unused', kind: 'secretText', secret: 'never-sent-6' });
  await add({ id: 'only-deploy', kind: 'secretText', secret: 'deploy-only-7', jobs: ['deploy-*'] });
});
test.after.always(() => m?.close());

const job = (name: string, extra: object) => call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, steps: [{ type: 'shell', script: 'true' }], ...extra } });
async function started(name: string) {
  const queued = await call(m.url, 'POST', `/api/jobs/${encodeURIComponent(name)}/builds`, { token: admin, json: {} });
  if (queued.status !== 201) throw new Error(`${queued.status} ${queued.text}`);
  return call(m.url, 'POST', `/api/agent/builds/${queued.body.queueId}/start`, { token: agent, json: { executor: 0 } });
}

test('a spec carries exactly the credentials its job binds, with every secret and line masked', async (t) => {
  await job('binds', {
    credentialBindings: [
      { type: 'secretText', credentialsId: 'token', variable: 'TOKEN' },
      { type: 'usernamePassword', credentialsId: 'login', usernameVariable: 'U', passwordVariable: 'P' },
      { type: 'file', credentialsId: 'cfg', variable: 'CFG' },
    ],
    sshAgent: ['key'],
  });
  const res = await started('binds');
  t.is(res.status, 200, res.text);
  t.deepEqual(Object.keys(res.body.credentials).sort(), ['cfg', 'key', 'login', 'token']);
  t.deepEqual(res.body.credentials.token, { kind: 'secretText', secret: 'tok-secret-1' });
  t.deepEqual(res.body.credentials.key, { kind: 'sshPrivateKey', username: 'git', privateKey: KEY, passphrase: 'phrase-3' });
  t.false(res.text.includes('never-sent-6'));
  const masks: string[] = res.body.masks;
  for (const m of ['tok-secret-1', 'pw-secret-2', KEY, 'phrase-3', 'b3BlbnNzaC1rZXktdjEAAAAA', 'AAAAC2tleS1saW5lLXR3bw==', '-----END OPENSSH PRIVATE KEY-----', 'line=one-4', 'line=two-5']) {
    t.true(masks.includes(m), m);
  }
  t.false(masks.includes('deployer'), 'a user name is not secret');
});

test('a job that names no credential gets `credentials: {}`', async (t) => {
  await job('plain', {});
  const res = await started('plain');
  t.is(res.status, 200);
  t.deepEqual(res.body.credentials, {});
  t.deepEqual(res.body.masks, []);
  for (const secret of ['tok-secret-1', 'pw-secret-2', 'never-sent-6', 'phrase-3']) t.false(res.text.includes(secret));
});

test('a missing, forbidden or wrong-kind credential fails the build at start: FAILURE, why in the console, no spec', async (t) => {
  const cases: [string, object, string][] = [
    ['missing-cred', { credentialBindings: [{ type: 'secretText', credentialsId: 'no-such', variable: 'X' }] }, "ERROR: Could not find credentials entry with ID 'no-such'"],
    ['other-job', { sshAgent: [], credentialBindings: [{ type: 'secretText', credentialsId: 'only-deploy', variable: 'X' }] }, "ERROR: Credentials 'only-deploy' may not be used by job 'other-job': it is limited to the jobs 'deploy-*'"],
    ['wrong-kind', { sshAgent: ['token'] }, "ERROR: Credentials 'token' is of type 'Secret text' where 'SSH Username with private key' was expected (sshAgent[0])"],
  ];
  for (const [name, extra, line] of cases) {
    await job(name, extra);
    const res = await started(name);
    t.is(res.status, 409, name);
    t.false(/tok-secret-1|deploy-only-7/.test(res.text), 'no secret in the refusal');
    const build = await call(m.url, 'GET', `/api/jobs/${name}/builds/1`, { token: admin });
    t.like(build.body, { number: 1, result: 'FAILURE', building: false }, name);
    const text = (await call(m.url, 'GET', `/api/jobs/${name}/builds/1/log`, { token: admin })).text;
    t.is(text, `Started by user admin\n${line}\nFinished: FAILURE\n`, name);
  }
  await job('deploy-prod', { credentialBindings: [{ type: 'secretText', credentialsId: 'only-deploy', variable: 'X' }] });
  const allowed = await started('deploy-prod');
  t.is(allowed.status, 200, 'a job the glob names may use it');
  t.deepEqual(Object.keys(allowed.body.credentials), ['only-deploy']);
});
