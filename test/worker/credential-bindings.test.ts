/**
 * Credential bindings through real builds (a real master, a real `jonkkins agent` process, real
 * shell steps and Debian's ssh-agent): the steps see the values and 0600 files under WORKSPACE_TMP, the console
 * shows **** (multi-line secrets line by line, a value split across output chunks), the files and
 * the ssh-agent are gone when the build ends — success, failure or abort — and a job outside a
 * credential's globs fails before any step.
 * The credentials are the file's fixture (made once, only read); each test makes its own jobs, and
 * the one that kills an agent kills an agent of its own: every job names its agent as its label.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { builds, Fleet, type FleetAgent } from '../helpers/fleet.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

const run = promisify(execFile);
const TOKEN = `tok-${randomBytes(8).toString('hex')}`;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const MULTI = `first-line-${randomBytes(4).toString('hex')}\nsecond-line-${randomBytes(4).toString('hex')}\nthird-line-${randomBytes(4).toString('hex')}`;
const FILE_TEXT = `db.password=${randomBytes(6).toString('hex')}\napi.key=${randomBytes(6).toString('hex')}\n`;

let m: TestMaster;
let admin: string;
let api: ReturnType<typeof builds>;
let keyDir: string;
let privateKey: string;
let fingerprint: string;
/** The agent the tests share: they only run builds on it, each of its own job. */
const SHARED_AGENT = 'cred-agent';
/** Its Fleet tears down through this instead of a test's own teardown. */
const teardowns: (() => Promise<void>)[] = [];
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  // Four executors: the tests on it run at most four builds at once (one of them waits to be aborted).
  await new Fleet({ teardown: (fn: () => Promise<void>) => void teardowns.push(fn) } as never, m, admin).agent(SHARED_AGENT, { executors: 4 });
  api = builds(m, admin);
  keyDir = await mkdtemp(join(tmpdir(), 'jk-keys-'));
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'key-passphrase-9', '-C', 'jonkkins-test-key', '-f', join(keyDir, 'id')]);
  privateKey = await readFile(join(keyDir, 'id'), 'utf8');
  fingerprint = (await run('ssh-keygen', ['-l', '-f', join(keyDir, 'id.pub')])).stdout.split(' ')[1]!;
  const add = async (json: object) => {
    const res = await call(m.url, 'POST', '/api/credentials', { token: admin, json });
    if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
  };
  await add({ id: 'token', kind: 'secretText', secret: TOKEN });
  await add({ id: 'multi', kind: 'secretText', secret: MULTI });
  await add({ id: 'login', kind: 'usernamePassword', username: 'deployer', password: PASSWORD });
  await add({ id: 'props', kind: 'secretFile', fileName: 'app.properties', content: Buffer.from(FILE_TEXT).toString('base64') });
  await add({ id: 'deploy-key', kind: 'sshPrivateKey', username: 'git', privateKey, passphrase: 'key-passphrase-9' });
  await add({ id: 'prod-only', kind: 'secretText', secret: TOKEN, jobs: ['prod-*'] });
});
test.after.always(async () => {
  for (const fn of teardowns) await fn();
  await m?.close();
  await rm(keyDir, { recursive: true, force: true });
});

/** Runs a build of `job` (parameters optional) to its end: its result and console. */
async function build(job: string, parameters: Record<string, string> = {}): Promise<{ number: number; result: string; text: string }> {
  const number = await started(job, parameters);
  const { result } = await api.finished(job, number);
  return { number, result, text: (await api.consoleOf(job, number)).toString() };
}
async function started(job: string, parameters: Record<string, string> = {}): Promise<number> {
  const res = await call(m.url, 'POST', `/api/jobs/${encodeURIComponent(job)}/builds`, { token: admin, json: { parameters } });
  if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
  return api.numberOf(res.body.queueId);
}
/** Creates `name` to run on agent `on` only (its name is its label): no other test's build lands beside it. */
const job = (name: string, doc: Record<string, unknown>, on = SHARED_AGENT) => api.job(name, { label: on, ...doc });

const BINDINGS = [
  { type: 'secretText', credentialsId: 'token', variable: 'TOKEN' },
  { type: 'secretText', credentialsId: 'multi', variable: 'MULTI' },
  { type: 'usernamePassword', credentialsId: 'login', usernameVariable: 'DEPLOY_USER', passwordVariable: 'DEPLOY_PW' },
  { type: 'file', credentialsId: 'props', variable: 'PROPS' },
  { type: 'sshKey', credentialsId: 'deploy-key', keyFileVariable: 'KEY_FILE', usernameVariable: 'KEY_USER' },
];
const shell = (script: string) => [{ type: 'shell', script: `#!/bin/sh\n${script}` }];
/** The secret files' paths a build printed (paths are not secret). */
const pathsIn = (text: string) => [...text.matchAll(/^path=(.+)$/gm)].map((m) => m[1]!);

test('each binding reaches the steps; the console shows **** for every value, line and split value', async (t) => {
  await job('bound', {
    credentialBindings: BINDINGS,
    steps: shell(`set -e
echo "token=$TOKEN user=$DEPLOY_USER pw=$DEPLOY_PW key-user=$KEY_USER"
[ "$TOKEN" = "${TOKEN}" ] && [ "$DEPLOY_PW" = "${PASSWORD}" ] && echo values-ok
printf '%s\\n' "$MULTI" | sed 's/^/| /'
sed 's/^/> /' "$PROPS"
echo "modes=$(stat -c %a "$PROPS")/$(stat -c %a "$KEY_FILE") dir=$(stat -c %a "$(dirname "$PROPS")")"
case "$PROPS" in "$WORKSPACE_TMP"/secretFiles/*/app.properties) echo props-under-tmp;; esac
case "$KEY_FILE" in "$WORKSPACE_TMP"/secretFiles/*) echo key-under-tmp;; esac
cmp -s "$KEY_FILE" - <<'EOF' && echo key-file-ok
${privateKey.trimEnd()}
EOF
echo "path=$PROPS"; echo "path=$KEY_FILE"
printf '%s' "$(printf '%s' "$TOKEN" | cut -c1-7)"; sleep 0.4; printf '%s\\n' "$(printf '%s' "$TOKEN" | cut -c8-)"`),
  });
  const b = await build('bound');
  t.is(b.result, 'SUCCESS', b.text);
  t.regex(b.text, /^token=\*\*\*\* user=deployer pw=\*\*\*\* key-user=git$/m);
  t.regex(b.text, /^values-ok$/m);
  t.regex(b.text, /^\| \*\*\*\*\n\| \*\*\*\*\n\| \*\*\*\*$/m, 'a multi-line secret, line by line');
  t.regex(b.text, /^> \*\*\*\*\n> \*\*\*\*$/m, "a secret file's lines");
  t.regex(b.text, /^modes=600\/600 dir=700$/m);
  for (const line of ['props-under-tmp', 'key-under-tmp', 'key-file-ok']) t.regex(b.text, new RegExp(`^${line}$`, 'm'));
  t.regex(b.text, /^\*\*\*\*$/m, 'a value written in two chunks is masked whole');
  for (const secret of [TOKEN, PASSWORD, ...MULTI.split('\n'), ...FILE_TEXT.trim().split('\n'), 'key-passphrase-9', TOKEN.slice(0, 7), TOKEN.slice(7)]) {
    t.false(b.text.includes(secret), `${secret} in the console`);
  }
  const paths = pathsIn(b.text);
  t.is(paths.length, 2);
  for (const p of paths) t.false(existsSync(p), `${p} removed`);
  t.false(existsSync(join(paths[0]!, '..', '..')), "the build's secretFiles directory removed");
});

test('the files are removed when the build fails and when it is aborted', async (t) => {
  await job('fails', { credentialBindings: BINDINGS, steps: shell('echo "path=$PROPS"; echo "path=$KEY_FILE"; exit 3') });
  const failed = await build('fails');
  t.is(failed.result, 'FAILURE');
  t.is(pathsIn(failed.text).length, 2);
  for (const p of pathsIn(failed.text)) t.false(existsSync(p), `${p} removed after a failure`);

  await job('aborted', { credentialBindings: BINDINGS, steps: shell('echo "path=$PROPS"; echo "path=$KEY_FILE"; sleep 60') });
  const n = await started('aborted');
  let paths: string[] = [];
  await until('the step to print its paths', async () => (paths = pathsIn((await api.consoleOf('aborted', n)).toString())).length === 2);
  for (const p of paths) t.true(existsSync(p), `${p} exists while the build runs`);
  t.is((await call(m.url, 'POST', `/api/jobs/aborted/builds/${n}/abort`, { token: admin })).status, 202);
  t.is((await api.finished('aborted', n)).result, 'ABORTED');
  for (const p of paths) t.false(existsSync(p), `${p} removed after an abort`);
});

test('sshAgent: the steps get a running ssh-agent holding the key (passphrase via askpass); it stops with the build', async (t) => {
  await job('with-agent', {
    sshAgent: ['deploy-key'],
    steps: shell('echo "pid=$SSH_AGENT_PID sock=$SSH_AUTH_SOCK"; ssh-add -l; [ -S "$SSH_AUTH_SOCK" ] && echo socket-ok'),
  });
  const b = await build('with-agent');
  t.is(b.result, 'SUCCESS', b.text);
  t.regex(b.text, /^\[ssh-agent\] added the key of credential 'deploy-key' \(git\)$/m);
  t.true(b.text.includes(`${fingerprint} jonkkins-test-key (ED25519)`), b.text);
  t.regex(b.text, /^socket-ok$/m);
  t.false(b.text.includes('key-passphrase-9'));
  const [, pid, sock] = /^pid=(\d+) sock=(\S+)$/m.exec(b.text)!;
  t.false(existsSync(sock!), 'the socket is gone');
  t.false(existsSync(`/proc/${pid}`), 'the ssh-agent is gone');
});

test('a job outside the credential\'s globs fails before any step, with the reason; the agent goes on', async (t) => {
  await job('staging-deploy', { credentialBindings: [{ type: 'secretText', credentialsId: 'prod-only', variable: 'X' }], steps: shell('echo step-ran') });
  const refused = await build('staging-deploy');
  t.is(refused.result, 'FAILURE');
  t.is(refused.text, "Started by user admin\nERROR: Credentials 'prod-only' may not be used by job 'staging-deploy': it is limited to the jobs 'prod-*'\nFinished: FAILURE\n");
  await job('prod-deploy', { credentialBindings: [{ type: 'secretText', credentialsId: 'prod-only', variable: 'X' }], steps: shell('[ -n "$X" ] && echo step-ran') });
  const allowed = await build('prod-deploy');
  t.is(allowed.result, 'SUCCESS');
  t.regex(allowed.text, /^step-ran$/m);
});

test('an agent killed mid-build: its ssh-agent dies when the agent starts again, its secret files when the next build binds', async (t) => {
  await job('killed', {
    parameters: [{ type: 'string', name: 'SECS', default: '0' }],
    credentialBindings: [{ type: 'file', credentialsId: 'props', variable: 'PROPS' }],
    sshAgent: ['deploy-key'],
    steps: shell('echo "path=$PROPS"; echo "agent-pid=$SSH_AGENT_PID"; sleep "$SECS"'),
  }, 'killed-agent');
  // An agent of its own, since it is killed: the other tests' builds run on theirs meanwhile.
  const agent: FleetAgent = await new Fleet(t, m, admin).agent('killed-agent', { executors: 1 });
  const n = await started('killed', { SECS: '120' });
  let text = '';
  await until('the step to print its paths', async () => /^agent-pid=\d+$/m.test((text = (await api.consoleOf('killed', n)).toString())));
  const [path] = pathsIn(text);
  const pid = /^agent-pid=(\d+)$/m.exec(text)![1]!;
  t.true(existsSync(path!) && existsSync(`/proc/${pid}`));
  agent.process.kill('SIGKILL');
  await new Promise((r) => agent.process.once('exit', r));
  t.true(existsSync(path!), 'a killed agent removes nothing');
  agent.respawn();
  await until('the ssh-agent the dead agent left to be killed', () => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readProc(pid)), 20_000);
  t.is((await api.finished('killed', n)).result, 'FAILURE', 'agent lost');
  const next = await build('killed');
  t.is(next.result, 'SUCCESS', next.text);
  t.false(existsSync(path!), "the dead build's secret file is gone");
  t.false(existsSync(join(path!, '..', '..')));
});

const readProc = (pid: string) => {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
};
