/**
 * The agent's SSH host key policy for checkouts (git-credentials.ts), against a real sshd: under
 * known-hosts an unknown server is refused; accept-new remembers it the first time and then
 * refuses a server that answers with another key; off checks nothing.
 */
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitScm } from '../../shared/src/scm.ts';
import { checkout, CheckoutError } from '../../worker/src/scm/git-checkout.ts';
import type { SshHostKeys } from '../../worker/src/scm/git-credentials.ts';
import { startGitServer } from '../helpers/git-server.ts';
import { sshKeyPair, startSshd } from '../helpers/sshd.ts';

test('known-hosts refuses an unknown host, accept-new remembers it, off accepts any', async (t) => {
  const key = await sshKeyPair('correct horse');
  const sshd = await startSshd([key.publicKey.trim()]);
  t.teardown(() => sshd.close());
  const server = await startGitServer();
  t.teardown(() => server.close());
  const repo = await server.repo('hk');
  const c1 = await repo.commit('one', { f: '1' });
  await repo.push();
  const base = await mkdtemp(join(tmpdir(), 'jk-hk-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const run = (hostKeys: SshHostKeys, ws: string) => {
    let out = '';
    const done = checkout({
      scm: GitScm.parse({ type: 'git', url: sshd.urlFor(repo.bare), credentialsId: 'k' }),
      credential: { kind: 'sshPrivateKey', username: sshd.user, privateKey: key.privateKey, passphrase: 'correct horse' },
      history: [], workspace: join(base, ws), tmpDir: join(base, `tmp-${ws}`), env: {}, path: process.env.PATH!, hostKeys,
      say: (s) => (out += s), output: (c) => (out += c), signal: new AbortController().signal,
    });
    return { done, out: () => out };
  };
  const empty = join(base, 'empty_known_hosts');
  await writeFile(empty, '');
  const refused = run({ verification: 'known-hosts', knownHostsFile: empty }, 'a');
  await t.throwsAsync(refused.done, { instanceOf: CheckoutError });
  t.regex(refused.out(), /Host key verification failed/);

  const remembered = join(base, 'remembered');
  const first = run({ verification: 'accept-new', knownHostsFile: remembered }, 'b');
  t.is((await first.done).report.commit, c1, first.out()); // a passphrase-protected key, through SSH_ASKPASS
  t.regex(await readFile(remembered, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `));
  await writeFile(remembered, `[127.0.0.1]:${sshd.port} ${(await sshKeyPair()).publicKey.split(' ').slice(0, 2).join(' ')}\n`);
  const changed = run({ verification: 'accept-new', knownHostsFile: remembered }, 'c');
  await t.throwsAsync(changed.done, { instanceOf: CheckoutError });
  t.regex(changed.out(), /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);

  t.is((await run({ verification: 'off' }, 'd').done).report.commit, c1);
});
