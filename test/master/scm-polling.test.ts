/**
 * Poll SCM against real git repositories: one ls-remote per repository per tick however many jobs
 * watch it (counted through a git wrapper), one build per job per change of the branches it
 * watches, a tick polled once however often it is run, the polling log readable; credentials
 * reach git through askpass, never its arguments.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { LOCAL_REFUSED, lsRemote } from '../../master/src/scm/git-ls-remote.ts';
import { bareRepo, countingGit, type BareRepo, type CountingGit } from '../helpers/git-repos.ts';
import { startGitServer } from '../helpers/git-server.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster } from '../helpers/test-master.ts';

const MINUTE = 60_000;

/**
 * A master of the test's own (a tick polls every job of its master, and the ls-remote count is of
 * its git), with a git that counts its calls and a directory for bare repositories; closed when the
 * test ends. `nextTick` runs the master's Poll SCM for the minute after the last one it ran.
 */
async function pollingMaster(t: ExecutionContext) {
  const root = await mkdtemp(join(tmpdir(), 'jk-poll-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const git = await countingGit(root);
  const m = await startTestMaster({ git: git.path, allowLocalCheckout: true }); // the polled repositories are file:// ones on this disk
  t.teardown(() => m.close());
  const admin = await bootstrapAdmin(m.url);
  let minute = Math.floor(Date.now() / MINUTE) * MINUTE;
  return {
    m,
    admin,
    root,
    git,
    /** The minute the last tick polled. */
    minute: () => minute,
    nextTick: () => m.services.scmPolling.tick(new Date((minute += MINUTE))),
    buildsOf: async (prefix: string) =>
      new Map(
        (await m.pool.any(sql.type(z.object({ name: z.string(), n: z.number() }))`
          SELECT j.name, count(b.id)::int AS n FROM jobs j LEFT JOIN builds b ON b.job_id = j.id WHERE j.name LIKE ${`${prefix}%`} GROUP BY j.name`)).map((r) => [r.name, r.n]),
      ),
  };
}
const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

test('50 jobs on 5 repositories: one ls-remote per repository per tick, one build per job per change', async (t) => {
  const { m, admin, root, git, minute, nextTick, buildsOf } = await pollingMaster(t);
  const repos = await Promise.all([0, 1, 2, 3, 4].map((i) => bareRepo(root, `repo${i}`)));
  // Ten jobs per repository, every URL spelled a little differently: they are still one remote.
  for (let r = 0; r < 5; r++) {
    for (let j = 0; j < 10; j++) {
      const url = j % 2 === 0 ? repos[r]!.url : `${repos[r]!.url}/`;
      const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: `poll-${r}-${j}`, scm: { type: 'git', url, branches: ['*/main'] }, triggers: { pollScm: '* * * * *' } } });
      t.is(res.status, 201, res.text);
    }
  }
  const before = await git.lsRemotes();
  // First poll: no job was ever built, so each gets one build ("No existing build").
  t.is(await nextTick(), 50);
  t.is((await git.lsRemotes()) - before, 5, 'one ls-remote per repository');
  t.true([...(await buildsOf('poll-')).values()].every((n) => n === 1));

  // Nothing moved: no build, still one ls-remote per repository.
  t.is(await nextTick(), 0);
  t.is((await git.lsRemotes()) - before, 10);

  // repo2's main moves: its ten jobs build once each, nobody else.
  const sha = await repos[2]!.commit('main');
  t.is(await nextTick(), 10);
  const counts = await buildsOf('poll-');
  t.is(total(counts), 60);
  t.is(await git.lsRemotes() - before, 15);
  for (let j = 0; j < 10; j++) t.is(counts.get(`poll-2-${j}`), 2);
  const causes = await call(m.url, 'GET', '/api/queue', { token: admin });
  t.true(JSON.stringify(causes.body).includes('Started by an SCM change'));

  // The same tick again (another master, or a late timer): claimed already, nothing runs.
  const again = await git.lsRemotes();
  t.is(await m.services.scmPolling.tick(new Date(minute())), 0);
  t.is(await git.lsRemotes(), again, 'a claimed tick polls nothing');

  // Two polls at once (two masters, or a notifyCommit during a tick): each change builds once.
  await repos[4]!.commit('main');
  const watchers = (await m.services.scmPolling.scmJobs()).filter((j) => j.job.name.startsWith('poll-4-'));
  const [a, b] = await Promise.all([m.services.scmPolling.poll(watchers), m.services.scmPolling.poll(watchers)]);
  t.is(a + b, 10);
  t.true([...(await buildsOf('poll-4-')).values()].every((n) => n === 2));

  // The polling log of a job, as Jenkins' Git Polling Log.
  const log = await call(m.url, 'GET', '/api/jobs/poll-2-3/scm-polling-log', { token: admin });
  t.is(log.status, 200);
  t.regex(log.text, new RegExp(`Latest remote head revision on refs/heads/main is: ${sha}`));
  t.regex(log.text, /Changes found\n$/);
  t.regex((await call(m.url, 'GET', '/api/jobs/poll-3-3/scm-polling-log', { token: admin })).text, /No changes\n$/);
  t.is((await call(m.url, 'GET', '/api/jobs/poll-3-3/scm-polling-log')).status, 401, 'the log needs a login');
});

test('only the branches a job watches count; a schedule that does not match the minute polls nothing', async (t) => {
  const { m, admin, root, nextTick, buildsOf } = await pollingMaster(t);
  const repo = await bareRepo(root, 'branches');
  const job = (name: string, branches: string[], pollScm = '* * * * *') =>
    call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, scm: { type: 'git', url: repo.url, branches }, triggers: { pollScm } } });
  await job('br-release', ['origin/release-*']);
  await job('br-never', ['*/main'], '0 0 31 2 *'); // 31 February: never due
  await nextTick(); // baseline: br-release sees no release branch yet
  t.is((await buildsOf('br-')).get('br-release'), 0);
  await repo.commit('main');
  t.is(await nextTick(), 0, 'main moved; br-release watches release-* only');
  await repo.commit('release-1.0');
  t.is(await nextTick(), 1);
  t.deepEqual(Object.fromEntries(await buildsOf('br-')), { 'br-release': 1, 'br-never': 0 });
});

test('ls-remote authenticates through askpass: the password is never in its arguments or URL', async (t) => {
  const server = await startGitServer({ robot: 'pa55-w0rd-xyz' });
  const repo = await server.repo('private', { private: true });
  const head = await repo.commit('first', { 'README.md': 'hello\n' });
  await repo.push();
  const own = await countingGit(server.root);
  const credential = { kind: 'usernamePassword' as const, username: 'robot', password: 'pa55-w0rd-xyz' };
  const url = `${server.url}private.git`;
  try {
    const heads = await lsRemote(url, { git: own.path, credential });
    t.is(heads.get('refs/heads/main'), head);
    t.true(server.requests.some((r) => r.user === 'robot'), 'the server saw the credential');
    const args = (await own.calls()).flat();
    t.false(args.some((a) => a.includes('pa55-w0rd-xyz')), 'the password is in no argument');
    t.deepEqual(args.slice(-2), ['--', url], 'the URL comes after --');
    await t.throwsAsync(lsRemote(url, { git: own.path }), { message: /ls-remote failed/ }, 'without the credential: refused, no prompt');
    await t.throwsAsync(lsRemote('--upload-pack=touch /tmp/x', { git: own.path }), { message: /ls-remote failed/ }, 'an option-looking URL is a URL');
    const calls = (await own.calls()).length;
    for (const local of [`file://${server.root}/private.git`, `FILE://${server.root}/private.git`]) {
      await t.throwsAsync(lsRemote(local, { git: own.path }), { message: LOCAL_REFUSED }, 'the master reads no repository on its own disk unless allowed');
    }
    t.is((await own.calls()).length, calls, 'git did not run for them');
    await t.throwsAsync(lsRemote(url, { git: own.path, maxBytes: 10, credential }), { message: /more than 10 bytes/ });
    // A remote that accepts and never answers: killed at the time limit.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      await t.throwsAsync(lsRemote(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/x.git`, { git: own.path, timeoutMs: 500 }), { message: /did not finish within 0.5 s/ });
    } finally {
      silent.close();
    }
  } finally {
    await server.close();
  }
});
