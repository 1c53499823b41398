/**
 * The credentials store through the real API: admins only, metadata only, secrets sealed at rest
 * and never in an answer or a log line; PUT keeps secret fields it is not given; secretFor's
 * refusals; key rotation with `jonkkins credentials reseal`.
 */
import { randomBytes } from 'node:crypto';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { pino } from 'pino';
import { sql } from 'slonik';
import { z } from 'zod';
import { bootstrapAdmin, call, login, registeredAgentToken } from '../helpers/http.ts';
import { runJonkkins } from '../helpers/processes.ts';
import { createTestDatabase, startTestMaster, type TestMaster } from '../helpers/test-master.ts';
import { CredentialsService } from '../../master/src/credentials/credentials.ts';
import { migrate } from '../../master/src/db/migrate.ts';

/** Each test's answers, for the afterEach check that no secret was in any. */
const test = anyTest as TestFn<{ answers: string[] }>;

/** What every master of this file logs. */
const logLines: string[] = [];
const log = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
let m: TestMaster;
let admin: string;
let user: string;
/** Every secret any test stores: none may appear in an answer, the database's plain text or the log. */
const SECRETS = {
  text: `s3cr3t-text-${randomBytes(6).toString('hex')}`,
  password: `pw-${randomBytes(6).toString('hex')}`,
  key: `-----BEGIN OPENSSH PRIVATE KEY-----\nkey-${randomBytes(8).toString('hex')}\n-----END OPENSSH PRIVATE KEY-----\n`,
  passphrase: `pass-${randomBytes(6).toString('hex')}`,
  file: `file-content-${randomBytes(6).toString('hex')}`,
};

test.before(async () => {
  m = await startTestMaster({ log });
  admin = await bootstrapAdmin(m.url);
  await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'bob', password: 'bob-password' } });
  user = await login(m.url, 'bob', 'bob-password');
});
test.after.always(() => m?.close());
test.beforeEach((t) => {
  t.context.answers = [];
});
// The master logs little at all: none of it, and no answer a test got, may hold a secret.
test.afterEach('no secret is in an answer the test got or in any log line', (t) => {
  const everything = [...t.context.answers, ...logLines].join('\n');
  for (const secret of [...Object.values(SECRETS), Buffer.from(SECRETS.file).toString('base64')]) t.false(everything.includes(secret), `${secret.slice(0, 20)} in an answer or log line`);
});

/** An admin's calls for test `t` (on the file's master unless told); each answer is kept for the afterEach check. */
function adminApi(t: ExecutionContext<{ answers: string[] }>, on: { url: string; token: string } = { url: m.url, token: admin }) {
  return async (method: string, path: string, json?: unknown) => {
    const res = await call(on.url, method, path, { token: on.token, json });
    t.context.answers.push(res.text);
    return res;
  };
}

test('an admin adds each kind; answers carry metadata only', async (t) => {
  // A master of its own: the list is of every credential, so the other tests' would be in it.
  const own = await startTestMaster({ log });
  t.teardown(() => own.close());
  const api = adminApi(t, { url: own.url, token: await bootstrapAdmin(own.url) });
  const text = await api('POST', '/api/credentials', { id: 'gh-token', description: 'GitHub', kind: 'secretText', secret: SECRETS.text });
  t.is(text.status, 201, text.text);
  t.is(text.headers.get('location'), '/api/credentials/gh-token');
  t.like(text.body, { id: 'gh-token', description: 'GitHub', kind: 'secretText' });
  t.deepEqual(Object.keys(text.body).sort(), ['createdAt', 'description', 'id', 'kind', 'updatedAt']);
  const up = await api('POST', '/api/credentials', { id: 'deploy-login', kind: 'usernamePassword', username: 'deployer', password: SECRETS.password, jobs: ['deploy-*'] });
  t.is(up.status, 201, up.text);
  t.like(up.body, { kind: 'usernamePassword', username: 'deployer', jobs: ['deploy-*'], description: '' });
  const key = await api('POST', '/api/credentials', { id: 'ssh-key', kind: 'sshPrivateKey', username: 'git', privateKey: SECRETS.key, passphrase: SECRETS.passphrase });
  t.is(key.status, 201, key.text);
  const file = await api('POST', '/api/credentials', { id: 'kubeconfig', kind: 'secretFile', fileName: 'config.yml', content: Buffer.from(SECRETS.file).toString('base64') });
  t.like(file.body, { kind: 'secretFile', fileName: 'config.yml' });
  const list = await api('GET', '/api/credentials');
  t.deepEqual(list.body.credentials.map((c: { id: string }) => c.id), ['deploy-login', 'gh-token', 'kubeconfig', 'ssh-key']);
  t.like((await api('GET', '/api/credentials/ssh-key')).body, { id: 'ssh-key', kind: 'sshPrivateKey', username: 'git' });
});

test('bad input is a 400 naming the field; a taken id a 409; an unknown one a 404', async (t) => {
  const api = adminApi(t);
  const cases: [unknown, RegExp][] = [
    [{ id: '-bad', kind: 'secretText', secret: 'x' }, /id/],
    [{ id: 'ok1', kind: 'secretText' }, /secret/],
    [{ id: 'ok1', kind: 'certificate', secret: 'x' }, /kind/],
    [{ id: 'ok1', kind: 'secretText', secret: 'x', extra: 1 }, /extra/],
    [{ id: 'ok1', kind: 'secretFile', fileName: '../x', content: 'AA==' }, /fileName/],
    [{ id: 'ok1', kind: 'secretFile', fileName: 'x', content: 'not base64!' }, /content/],
    [{ id: 'ok1', kind: 'secretText', secret: 'x', jobs: ['a/b'] }, /jobs\.0/],
  ];
  for (const [body, field] of cases) {
    const res = await api('POST', '/api/credentials', body);
    t.is(res.status, 400, JSON.stringify(body));
    t.regex(res.body.error.message, field);
  }
  await api('POST', '/api/credentials', { id: 'twice', kind: 'secretText', secret: SECRETS.text });
  t.is((await api('POST', '/api/credentials', { id: 'twice', kind: 'secretText', secret: 'other' })).status, 409);
  t.is((await api('GET', '/api/credentials/nope')).status, 404);
  t.is((await api('PUT', '/api/credentials/nope', { kind: 'secretText', secret: 'x' })).status, 404);
  t.is((await api('DELETE', '/api/credentials/nope')).status, 404);
  const renamed = await api('PUT', '/api/credentials/twice', { id: 'other', kind: 'secretText' });
  t.is(renamed.status, 400);
  t.regex(renamed.body.error.message, /id.*cannot change/);
});

test('people who are not admins get 403, anonymous 401, agents 403', async (t) => {
  const api = adminApi(t);
  await api('POST', '/api/credentials', { id: 'guarded', kind: 'secretText', secret: SECRETS.text });
  const agent = await registeredAgentToken(m.url, admin, { name: 'nosy-agent', executors: 1 });
  for (const [method, path, json] of [
    ['GET', '/api/credentials'],
    ['POST', '/api/credentials', { id: 'x', kind: 'secretText', secret: 'y' }],
    ['GET', '/api/credentials/guarded'],
    ['PUT', '/api/credentials/guarded', { kind: 'secretText', secret: 'y' }],
    ['DELETE', '/api/credentials/guarded'],
  ] as const) {
    t.is((await call(m.url, method, path, { token: user, json })).status, 403, `${method} ${path} as a user`);
    t.is((await call(m.url, method, path, { json })).status, 401, `${method} ${path} anonymous`);
    t.is((await call(m.url, method, path, { token: agent, json })).status, 403, `${method} ${path} as an agent`);
  }
  t.is((await api('GET', '/api/credentials/guarded')).status, 200, 'still there');
});

test('anyone configuring a job sees the ids, kinds and descriptions of what that job may use, nothing more', async (t) => {
  const api = adminApi(t);
  await api('POST', '/api/credentials', { id: 'choice-all', kind: 'usernamePassword', username: 'svc', password: SECRETS.password, description: 'for all' });
  await api('POST', '/api/credentials', { id: 'choice-deploy', kind: 'secretText', secret: SECRETS.text, jobs: ['deploy-*'] });
  const forDeploy = await call(m.url, 'GET', '/api/credential-choices?job=deploy-web', { token: user });
  t.context.answers.push(forDeploy.text);
  t.is(forDeploy.status, 200);
  const ids = forDeploy.body.credentials.map((c: { id: string }) => c.id);
  t.true(ids.includes('choice-all') && ids.includes('choice-deploy'));
  t.deepEqual(forDeploy.body.credentials.find((c: { id: string }) => c.id === 'choice-all'), { id: 'choice-all', kind: 'usernamePassword', description: 'for all' });
  const forOther = await call(m.url, 'GET', '/api/credential-choices?job=docs', { token: user });
  t.true(forOther.body.credentials.some((c: { id: string }) => c.id === 'choice-all'));
  t.false(forOther.body.credentials.some((c: { id: string }) => c.id === 'choice-deploy'), 'not offered to a job it does not allow');
  t.is((await call(m.url, 'GET', '/api/credential-choices?job=docs')).status, 401);
  t.is((await call(m.url, 'GET', '/api/credential-choices?job=docs', { token: await registeredAgentToken(m.url, admin, { name: 'choosy-agent', executors: 1 }) })).status, 403, 'not for agents');
});

test('PUT without the secret fields keeps them; with them replaces them; a new kind needs all its fields', async (t) => {
  const api = adminApi(t);
  const box = m.services.credentials;
  await api('POST', '/api/credentials', { id: 'edit-me', kind: 'sshPrivateKey', username: 'git', privateKey: SECRETS.key, passphrase: SECRETS.passphrase });
  const edited = await api('PUT', '/api/credentials/edit-me', { kind: 'sshPrivateKey', username: 'deploy', description: 'renamed user', jobs: ['a'] });
  t.is(edited.status, 200, edited.text);
  t.like(edited.body, { username: 'deploy', description: 'renamed user', jobs: ['a'] });
  t.deepEqual(await box.secretFor('edit-me', null), { kind: 'sshPrivateKey', username: 'deploy', privateKey: SECRETS.key, passphrase: SECRETS.passphrase });
  // An empty passphrase removes it; the key is kept.
  await api('PUT', '/api/credentials/edit-me', { kind: 'sshPrivateKey', username: 'deploy', passphrase: '' });
  t.deepEqual(await box.secretFor('edit-me', null), { kind: 'sshPrivateKey', username: 'deploy', privateKey: SECRETS.key });
  const newKind = await api('PUT', '/api/credentials/edit-me', { kind: 'usernamePassword', username: 'u' });
  t.is(newKind.status, 400);
  t.regex(newKind.body.error.message, /password: required/);
  t.is((await api('PUT', '/api/credentials/edit-me', { kind: 'usernamePassword', username: 'u', password: SECRETS.password })).status, 200);
  t.deepEqual(await box.secretFor('edit-me', 'a'), { kind: 'usernamePassword', username: 'u', password: SECRETS.password });
  t.is((await api('DELETE', '/api/credentials/edit-me')).status, 204);
  t.is((await api('GET', '/api/credentials/edit-me')).status, 404);
});

test('secretFor refuses an unknown id and a job outside the credential\'s names and globs', async (t) => {
  const api = adminApi(t);
  await api('POST', '/api/credentials', { id: 'limited', kind: 'secretText', secret: SECRETS.text, jobs: ['deploy-*', 'Release ?', 'exact.job'] });
  const box = m.services.credentials;
  for (const job of ['deploy-prod', 'DEPLOY-x', 'deploy-', 'release 1', 'exact.job']) t.like(await box.secretFor('limited', job), { secret: SECRETS.text }, job);
  for (const job of ['prod-deploy', 'release 12', 'exactXjob', 'exact.jobs']) {
    const err = await t.throwsAsync(box.secretFor('limited', job));
    t.regex(err!.message, new RegExp(`Credentials 'limited' may not be used by job '${job.replace('.', '\\.')}': it is limited to the jobs 'deploy-\\*', 'Release \\?', 'exact\\.job'`));
  }
  t.like(await box.secretFor('limited', null), { secret: SECRETS.text }, 'the master itself');
  const unknown = await t.throwsAsync(box.secretFor('missing-one', 'deploy-prod'));
  t.is(unknown!.message, "Could not find credentials entry with ID 'missing-one'");
  // Globs are matched in linear time: a name that would make a backtracking matcher crawl.
  await api('POST', '/api/credentials', { id: 'stars', kind: 'secretText', secret: SECRETS.text, jobs: [`${'*a'.repeat(60)}b`] });
  const started = performance.now();
  await t.throwsAsync(box.secretFor('stars', 'a'.repeat(128)));
  t.true(performance.now() - started < 1000);
});

test('secrets are sealed at rest and bound to their id', async (t) => {
  const api = adminApi(t);
  const fileB64 = Buffer.from(SECRETS.file).toString('base64');
  await api('POST', '/api/credentials', { id: 'rest-text', kind: 'secretText', secret: SECRETS.text });
  await api('POST', '/api/credentials', { id: 'rest-login', kind: 'usernamePassword', username: 'rest-user', password: SECRETS.password });
  await api('POST', '/api/credentials', { id: 'rest-key', kind: 'sshPrivateKey', username: 'git', privateKey: SECRETS.key, passphrase: SECRETS.passphrase });
  await api('POST', '/api/credentials', { id: 'rest-file', kind: 'secretFile', fileName: 'f', content: fileB64 });
  // Every row, whoever made it: none holds a secret in plain text.
  const dump = await m.pool.anyFirst(sql.type(z.object({ row: z.string() }))`SELECT row_to_json(c)::text AS row FROM credentials c`);
  const stored = dump.join('\n');
  t.true(stored.includes('rest-user'), 'user names are plain metadata');
  for (const secret of [...Object.values(SECRETS), fileB64, 'key-']) t.false(stored.includes(secret), `${secret.slice(0, 20)} in the table`);
  // A sealed value copied onto another credential does not open there.
  await m.pool.query(sql.unsafe`UPDATE credentials SET sealed = (SELECT sealed FROM credentials WHERE id = 'rest-text') WHERE id = 'rest-login'`);
  const moved = await t.throwsAsync(m.services.credentials.secretFor('rest-login', null));
  t.regex(moved!.message, /Credentials 'rest-login' cannot be opened: its stored secret is damaged/);
  t.true(t.context.answers.length >= 4, 'its answers were recorded for the afterEach check');
});

test('a new JONKKINS_SECRET cannot open old credentials until `jonkkins credentials reseal` seals them again', async (t) => {
  // A database of its own: reseal goes through every credential in it, the other tests' too.
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  await migrate(db.pool);
  const oldSecret = `old-${randomBytes(24).toString('hex')}`;
  const newSecret = `new-${randomBytes(24).toString('hex')}`;
  const before = new CredentialsService(db.pool, Buffer.from(oldSecret));
  await before.create({ id: 'rotated', kind: 'secretText', secret: SECRETS.text });
  await new CredentialsService(db.pool, randomBytes(48)).create({ id: 'lost', kind: 'secretText', secret: SECRETS.text });
  const after = new CredentialsService(db.pool, Buffer.from(newSecret));
  const err = await t.throwsAsync(after.secretFor('rotated', null));
  t.regex(err!.message, /sealed under another JONKKINS_SECRET.*jonkkins credentials reseal/);
  const env = { DATABASE_URL: db.url, JONKKINS_SECRET: newSecret, JONKKINS_PREVIOUS_SECRET: oldSecret, LOG_LEVEL: 'silent' };
  const run = await runJonkkins(['credentials', 'reseal'], env);
  // 'lost' opens with neither key.
  t.is(run.code, 1, run.stderr);
  t.regex(run.stdout, /resealed 1 credential\(s\): rotated/);
  t.regex(run.stderr, /open with neither key .*\blost\b/);
  t.like(await after.secretFor('rotated', null), { secret: SECRETS.text });
  const usage = await runJonkkins(['credentials', 'reseal'], { ...env, JONKKINS_PREVIOUS_SECRET: '' });
  t.is(usage.code, 2);
  t.regex(usage.stderr, /JONKKINS_PREVIOUS_SECRET or give --previous-key-file/);
});
