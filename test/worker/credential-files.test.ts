/** BuildCredentials' own rules, for the agent code that reuses it (the git checkout): what it reads and writes. */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BuildCredentials, SECRET_FILES_DIR } from '../../worker/src/credential-bindings.ts';

test('writeFile makes 0600 files in a 0700 directory under WORKSPACE_TMP; release removes them, twice is fine', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'jk-credfiles-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const creds = new BuildCredentials({ git: { kind: 'usernamePassword', username: 'u', password: 'p' } }, join(root, 'ws@tmp'));
  const a = await creds.writeFile('askpass.sh', 'echo hi\n');
  const b = await creds.writeFile('askpass.sh', Buffer.from([0, 1, 2]));
  t.not(a, b, 'the same name twice: two files');
  t.true(a.startsWith(join(root, 'ws@tmp', SECRET_FILES_DIR)));
  t.is(statSync(a).mode & 0o777, 0o600);
  t.is(statSync(join(a, '..')).mode & 0o777, 0o700);
  t.is(await readFile(a, 'utf8'), 'echo hi\n');
  for (const bad of ['../x', 'a/b', '.', '..', '']) await t.throwsAsync(creds.writeFile(bad, 'x'), { message: /refusing the secret file name/ });
  t.deepEqual(creds.get('git'), { kind: 'usernamePassword', username: 'u', password: 'p' });
  t.throws(() => creds.get('other'), { message: "the master sent no credential 'other' with this build" });
  t.throws(() => creds.get('__proto__'), { message: /sent no credential/ });
  await creds.release();
  await creds.release();
  t.false(existsSync(a) || existsSync(b));
  await t.throwsAsync(creds.writeFile('late', 'x'), { message: /released/ });
});

test('bind refuses a credential of the wrong kind, naming it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'jk-credfiles-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const creds = new BuildCredentials({ tok: { kind: 'secretText', secret: 's' } }, join(root, 'ws@tmp'));
  const opts = { path: process.env.PATH, agentCookie: 'test', say: () => {} };
  await t.throwsAsync(creds.bind({ credentialBindings: [{ type: 'file', credentialsId: 'tok', variable: 'F' }], sshAgent: [] }, opts), { message: "credential 'tok' is a secretText credential, not secretFile" });
  t.deepEqual(await creds.bind({ credentialBindings: [{ type: 'secretText', credentialsId: 'tok', variable: 'T' }], sshAgent: [] }, opts), { T: 's' });
  await creds.release();
});
