/**
 * Private repositories through the whole system: a usernamePassword credential over HTTPS-style
 * smart HTTP (Basic auth) and an SSH key against a real sshd. While git talks to the server, no
 * process's command line or environment holds the secret; afterwards neither the console, the
 * workspace's .git/config, the agent's log nor its tmp holds it. A wrong credential fails the build
 * with a clear checkout error.
 */
import test from 'ava';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRig, type Rig } from '../helpers/agent-rig.ts';
import { call } from '../helpers/http.ts';
import { startGitServer } from '../helpers/git-server.ts';
import { processesCarrying } from '../helpers/proc-scan.ts';
import { until } from '../helpers/processes.ts';
import { sshKeyPair, startSshd } from '../helpers/sshd.ts';

const PASSWORD = 'pa55-W0rd-never-shown';

async function credential(rig: Rig, body: Record<string, unknown>) {
  const res = await call(rig.m.url, 'POST', '/api/credentials', { token: rig.admin, json: body });
  if (res.status !== 201) throw new Error(`credential: ${res.status} ${res.text}`);
}

/** Nothing the agent left: its log lines and every file under its tmp. */
async function agentLeftovers(rig: Rig): Promise<string> {
  const tmp = join(rig.workdir, 'tmp');
  const names = await readdir(tmp, { recursive: true }).catch(() => [] as string[]);
  return [...rig.logs, ...names.map(String)].join('\n');
}

test('HTTPS with a usernamePassword credential: checkout, a second build lists exactly the new commits, the password is nowhere', async (t) => {
  t.timeout(120_000); // three builds with real git servers; slow on a loaded machine
  const server = await startGitServer({ ci: PASSWORD });
  t.teardown(() => server.close());
  const repo = await server.repo('secret', { private: true });
  const c1 = await repo.commit('one', { 'a.txt': 'a' });
  await repo.push();
  const rig = await startRig(t);
  await credential(rig, { id: 'git-http', kind: 'usernamePassword', username: 'ci', password: PASSWORD });
  await rig.job('private-http', { scm: { type: 'git', url: `${server.url}secret.git`, credentialsId: 'git-http' }, steps: [{ type: 'shell', script: 'cat a.txt; echo "at $GIT_COMMIT"' }] });

  // While git fetches, look at every process: the password is in no command line or environment.
  let scan: Awaited<ReturnType<typeof processesCarrying>> | undefined;
  server.hold = async () => {
    scan ??= await processesCarrying([PASSWORD, Buffer.from(`ci:${PASSWORD}`).toString('base64')]);
  };
  const b1 = await rig.finished(await rig.trigger('private-http'));
  t.is(b1.result, 'SUCCESS', b1.text);
  t.truthy(scan, 'the server held a fetch while the processes were read');
  t.deepEqual(scan!.seen, []);
  t.true(scan!.scanned.some((c) => c.includes('remote-http')), 'git was running during the scan');
  t.regex(b1.text, /using credential git-http\n/);
  t.true(b1.text.includes(`at ${c1}`));
  t.true(server.requests.some((r) => r.user === 'ci'), 'git authenticated');
  t.false(server.requests.some((r) => r.path.includes(PASSWORD)));

  const c2 = await repo.commit('two', { 'b.txt': 'b' });
  const c3 = await repo.commit('three', { 'a.txt': 'a3' });
  await repo.push();
  server.hold = undefined;
  const b2 = await rig.finished(await rig.trigger('private-http'));
  t.is(b2.result, 'SUCCESS', b2.text);
  t.deepEqual((await rig.build('private-http', b2.number)).changeSet.items.map((i: { commitId: string }) => i.commitId), [c3, c2]);

  const config = await readFile(join(rig.workdir, 'workspace', 'private-http', '.git', 'config'), 'utf8');
  t.regex(config, /url = http:\/\/127\.0\.0\.1:\d+\/secret\.git\n/);
  for (const place of [b1.text, b2.text, config, await agentLeftovers(rig)]) t.false(place.includes(PASSWORD));
  t.notRegex(await agentLeftovers(rig), /git-cred-|askpass/, 'the askpass helper and its files are gone');

  // A wrong password: a clear checkout error, FAILURE, no step run, the secret still masked.
  await call(rig.m.url, 'PUT', '/api/credentials/git-http', { token: rig.admin, json: { id: 'git-http', kind: 'usernamePassword', username: 'ci', password: `${PASSWORD}-wrong` } });
  const bad = await rig.finished(await rig.trigger('private-http'));
  t.is(bad.result, 'FAILURE');
  t.regex(bad.text, /Authentication failed/);
  t.regex(bad.text, /ERROR: Error fetching remote repo 'origin'/);
  t.notRegex(bad.text, /\+ cat a\.txt/);
  t.false(bad.text.includes(PASSWORD));
});

test('SSH with a key credential against a real sshd: checkout and changes; the key never leaves its 0600 file, which is gone after; a wrong key fails clearly', async (t) => {
  t.timeout(120_000); // three builds with real git servers; slow on a loaded machine
  const key = await sshKeyPair();
  const gate = join(process.env.TMPDIR ?? '/tmp', `jk-ssh-gate-${process.pid}-${Date.now()}`);
  // The server waits for the gate before it serves git, so the test can look at processes meanwhile.
  const forced = `command="while [ ! -e ${gate} ]; do sleep 0.05; done; exec sh -c \\"$SSH_ORIGINAL_COMMAND\\"" ${key.publicKey.trim()}`;
  const sshd = await startSshd([forced]);
  t.teardown(() => sshd.close());
  const server = await startGitServer();
  t.teardown(() => server.close());
  const repo = await server.repo('over-ssh');
  const c1 = await repo.commit('one', { 'a.txt': 'a' });
  await repo.push();
  process.env.JONKKINS_GIT_KNOWN_HOSTS = sshd.knownHosts; // the agent's known-hosts policy (the default): this sshd only
  const rig = await startRig(t);
  await credential(rig, { id: 'git-ssh', kind: 'sshPrivateKey', username: sshd.user, privateKey: key.privateKey });
  const keyLines = key.privateKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
  await rig.job('private-ssh', { scm: { type: 'git', url: sshd.urlFor(repo.bare), credentialsId: 'git-ssh' }, steps: [{ type: 'shell', script: 'echo "at $GIT_COMMIT on $GIT_BRANCH"' }] });

  const queued = await rig.trigger('private-ssh');
  let sshSeen = '';
  await until('ssh to connect', async () => {
    const { scanned } = await processesCarrying([]);
    sshSeen = scanned.find((c) => c.startsWith('ssh ') && c.includes(`${sshd.port}`)) ?? '';
    return sshSeen !== '';
  }, 20_000, 20);
  const during = await processesCarrying(keyLines);
  await writeFile(gate, '');
  t.teardown(() => rm(gate, { force: true }));
  t.deepEqual(during.seen, []);
  t.regex(sshSeen, / -i \S+\/git-cred-[^/ ]+\/key /, 'ssh reads the key from a file');
  const b1 = await rig.finished(queued);
  t.is(b1.result, 'SUCCESS', b1.text);
  t.true(b1.text.includes(`at ${c1} on origin/main`), b1.text);
  t.regex(b1.text, /using GIT_SSH to set credentials\n/);

  const c2 = await repo.commit('two', { 'b.txt': 'b' });
  await repo.push();
  const b2 = await rig.finished(await rig.trigger('private-ssh'));
  t.is(b2.result, 'SUCCESS', b2.text);
  t.deepEqual((await rig.build('private-ssh', b2.number)).changeSet.items.map((i: { commitId: string }) => i.commitId), [c2]);
  const sshConfig = await readFile(join(rig.workdir, 'workspace', 'private-ssh', '.git', 'config'), 'utf8');
  t.regex(sshConfig, /url = ssh:\/\//);
  for (const place of [b1.text, b2.text, sshConfig, await agentLeftovers(rig)]) for (const line of keyLines) t.false(place.includes(line));
  t.notRegex(await agentLeftovers(rig), /git-cred-/, 'the key file is gone');

  // Another key, which sshd does not accept: a clear failure, the key masked.
  const other = await sshKeyPair();
  await call(rig.m.url, 'PUT', '/api/credentials/git-ssh', { token: rig.admin, json: { id: 'git-ssh', kind: 'sshPrivateKey', username: sshd.user, privateKey: other.privateKey } });
  const bad = await rig.finished(await rig.trigger('private-ssh'));
  t.is(bad.result, 'FAILURE');
  t.regex(bad.text, /Permission denied \(publickey\)/);
  t.regex(bad.text, /ERROR: Error fetching remote repo 'origin'/);
  for (const line of other.privateKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) t.false(bad.text.includes(line));
});
