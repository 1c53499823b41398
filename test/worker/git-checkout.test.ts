/**
 * The agent's git checkout (worker/src/scm/git-checkout.ts) against a real git smart-HTTP server:
 * a first clone, a fetch into the reused clone with exactly the new commits as the change set,
 * branch specifiers, and a workspace config a build step tampered with.
 */
import test from 'ava';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitScm, type ScmHistory } from '../../shared/src/scm.ts';
import { checkout, CheckoutError, type CheckoutRequest } from '../../worker/src/scm/git-checkout.ts';
import { gitIn, startGitServer, type GitServer } from '../helpers/git-server.ts';

let server: GitServer;
test.before(async () => {
  server = await startGitServer();
});
test.after.always(() => server.close());

async function dirs(t: import('ava').ExecutionContext) {
  const base = await mkdtemp(join(tmpdir(), 'jk-co-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  return { workspace: join(base, 'ws'), tmpDir: join(base, 'tmp') };
}

function request(scm: Record<string, unknown>, d: { workspace: string; tmpDir: string }, history: ScmHistory = [], env: Record<string, string> = {}) {
  let console = '';
  const req: CheckoutRequest = {
    scm: GitScm.parse({ type: 'git', ...scm }),
    credential: undefined,
    history,
    ...d,
    env,
    path: process.env.PATH!,
    hostKeys: { verification: 'off' },
    say: (s) => (console += s),
    output: (c) => (console += c.toString()),
    signal: new AbortController().signal,
  };
  return { req, console: () => console };
}

test('first build clones and checks out */main; the second fetches into the same clone and lists exactly the new commits', async (t) => {
  const repo = await server.repo('first');
  const c1 = await repo.commit('Initial import', { 'README.md': '# hi\n', 'src/a.txt': 'a\n' });
  await repo.push();
  const d = await dirs(t);
  const one = request({ url: `${server.url}first.git` }, d);
  const r1 = await checkout(one.req);
  t.is(r1.report.commit, c1);
  t.is(r1.report.branch, 'origin/main');
  t.deepEqual(r1.report.changes, []);
  t.like(r1.env, { GIT_COMMIT: c1, GIT_BRANCH: 'origin/main', GIT_URL: `${server.url}first.git` });
  t.false('GIT_PREVIOUS_COMMIT' in r1.env);
  t.regex(one.console(), /Cloning the remote Git repository\n/);
  t.regex(one.console(), new RegExp(`Checking out Revision ${c1} \\(origin/main\\)\\n`));
  t.regex(one.console(), /Commit message: "Initial import"\n/);
  t.regex(one.console(), /First time build\. Skipping changelog\./);
  t.is(await readFile(join(d.workspace, 'src/a.txt'), 'utf8'), 'a\n');
  const objects = (await stat(join(d.workspace, '.git', 'objects'))).ino;

  const c2 = await repo.commit('Second\n\nwith a body', { 'src/a.txt': 'a2\n', 'src/b.txt': 'b\n' }, { name: 'Grace Hopper', email: 'grace@example.org' });
  const c3 = await repo.commit('Third', { 'README.md': null });
  await repo.push();
  const two = request({ url: `${server.url}first.git` }, d, [{ branch: 'origin/main', commit: c1, successfulCommit: c1 }]);
  const r2 = await checkout(two.req);
  t.is(r2.report.commit, c3);
  t.regex(two.console(), /Fetching changes from the remote Git repository\n/);
  t.notRegex(two.console(), /Cloning/);
  t.is((await stat(join(d.workspace, '.git', 'objects'))).ino, objects, 'the clone is reused');
  t.like(r2.env, { GIT_COMMIT: c3, GIT_PREVIOUS_COMMIT: c1, GIT_PREVIOUS_SUCCESSFUL_COMMIT: c1 });
  t.deepEqual(r2.report.changes.map((c) => c.commitId), [c3, c2]);
  t.like(r2.report.changes[1], { authorName: 'Grace Hopper', authorEmail: 'grace@example.org', message: 'Second\n\nwith a body' });
  t.deepEqual(r2.report.changes[1]!.paths, [{ editType: 'edit', file: 'src/a.txt' }, { editType: 'add', file: 'src/b.txt' }]);
  t.deepEqual(r2.report.changes[0]!.paths, [{ editType: 'delete', file: 'README.md' }]);
  t.true(r2.report.changes[0]!.timestamp > r2.report.changes[1]!.timestamp);
});

test('branch specifiers: origin/release-*, refs/tags/v*, a sha, $PARAMETER; none matching fails with the plugin\'s message', async (t) => {
  const repo = await server.repo('specs');
  const c1 = await repo.commit('one', { f: '1' });
  await repo.push();
  await gitIn(repo.work, ['tag', '-a', '-m', 'v1', 'v1.0']);
  const c2 = await repo.commit('two', { f: '2' });
  await repo.branch('release-2');
  await repo.push('release-2');
  const d = await dirs(t);
  const url = `${server.url}specs.git`;
  t.like((await checkout(request({ url, branches: ['origin/release-*'] }, d).req)).report, { commit: c2, branch: 'origin/release-2' });
  t.like((await checkout(request({ url, branches: ['refs/tags/v*'] }, d).req)).report, { commit: c1, branch: 'refs/tags/v1.0' });
  t.like((await checkout(request({ url, branches: [c1.slice(0, 10)] }, d).req)).report, { commit: c1, branch: 'detached' });
  t.like((await checkout(request({ url, branches: ['${BRANCH}'] }, d, [], { BRANCH: 'release-2' }).req)).report, { commit: c2, branch: 'origin/release-2' });
  const local = await checkout(request({ url, branches: ['*/main'], localBranch: '**' }, d).req);
  t.is(local.env.GIT_LOCAL_BRANCH, 'main');
  t.is((await gitIn(d.workspace, ['symbolic-ref', 'HEAD'])).trim(), 'refs/heads/main');
  const none = request({ url, branches: ['*/nope'] }, d);
  const err = await t.throwsAsync(checkout(none.req), { instanceOf: CheckoutError });
  t.regex(err!.message, /Couldn't find any revision to build/);
});

test('a commit a cause named is built though its branch moved on; one only a ref outside the refspec holds is fetched by id; an unknown one fails', async (t) => {
  const repo = await server.repo('pinned');
  const c1 = await repo.commit('one', { f: '1' });
  await repo.push();
  const c2 = await repo.commit('two', { f: '2' });
  await repo.push(); // main moved on to c2 after c1's push was announced
  const d = await dirs(t);
  const url = `${server.url}pinned.git`;
  const history: ScmHistory = [];
  const pushed = request({ url }, d, history);
  pushed.req.revision = { commit: c1, ref: 'refs/heads/main' };
  const r1 = await checkout(pushed.req);
  t.like(r1.report, { commit: c1, branch: 'origin/main' });
  t.like(r1.env, { GIT_COMMIT: c1, GIT_BRANCH: 'origin/main' });
  t.regex(pushed.console(), new RegExp(`Checking out Revision ${c1} \\(origin/main\\)\\n`));
  t.is(await readFile(join(d.workspace, 'f'), 'utf8'), '1');

  // Abbreviated and without a ref (notifyCommit without branches=): the branch that points at it, if any.
  const head = request({ url }, d);
  head.req.revision = { commit: c2.slice(0, 10), ref: null };
  t.like((await checkout(head.req)).report, { commit: c2, branch: 'origin/main' });
  const older = request({ url }, d);
  older.req.revision = { commit: c1.slice(0, 10), ref: null };
  t.like((await checkout(older.req)).report, { commit: c1, branch: 'detached' });

  // A commit only refs/pull/7/head holds (as a forge keeps a pull request's): not in the branches' fetch.
  await repo.branch('feature');
  const c3 = await repo.commit('three', { f: '3' });
  await gitIn(repo.work, ['push', '-q', repo.bare, 'HEAD:refs/pull/7/head']);
  const pull = request({ url }, d);
  pull.req.revision = { commit: c3, ref: null };
  t.like((await checkout(pull.req)).report, { commit: c3, branch: 'detached' });
  t.is(await readFile(join(d.workspace, 'f'), 'utf8'), '3');

  const unknown = request({ url }, d);
  unknown.req.revision = { commit: 'a'.repeat(40), ref: 'refs/heads/main' };
  const err = await t.throwsAsync(checkout(unknown.req), { instanceOf: CheckoutError });
  t.regex(err!.message, new RegExp(`Couldn't find the revision ${'a'.repeat(40)} that started this build`));
});

test('what a build step wrote into .git/config (url.insteadOf, a credential helper, fsmonitor) is gone before the next fetch', async (t) => {
  const repo = await server.repo('tamper');
  const c1 = await repo.commit('one', { f: '1' });
  await repo.push();
  const d = await dirs(t);
  const url = `${server.url}tamper.git`;
  await checkout(request({ url }, d).req);
  const marker = join(d.tmpDir, 'fsmonitor-ran');
  const config = join(d.workspace, '.git', 'config');
  await writeFile(config, `${await readFile(config, 'utf8')}[url "http://127.0.0.1:9/"]\n\tinsteadOf = ${server.url}\n[core]\n\tfsmonitor = touch ${marker}\n[credential]\n\thelper = !touch ${marker}\n`);
  const again = await checkout(request({ url, userIdentity: { name: 'CI', email: 'ci@example.org' } }, d, [{ branch: 'origin/main', commit: c1, successfulCommit: null }]).req);
  t.is(again.report.commit, c1);
  await t.throwsAsync(stat(marker));
  const now = await readFile(config, 'utf8');
  t.notRegex(now, /insteadOf|fsmonitor|helper/);
  t.like(again.env, { GIT_AUTHOR_NAME: 'CI', GIT_COMMITTER_EMAIL: 'ci@example.org' });
  t.is((await gitIn(d.workspace, ['config', 'user.name'])).trim(), 'CI');

  // A .git that is a file pointing at another repository is replaced by a clone of our own.
  const elsewhere = await mkdtemp(join(tmpdir(), 'jk-elsewhere-'));
  t.teardown(() => rm(elsewhere, { recursive: true, force: true }));
  await gitIn(elsewhere, ['init', '-q']);
  await rm(join(d.workspace, '.git'), { recursive: true });
  await writeFile(join(d.workspace, '.git'), `gitdir: ${join(elsewhere, '.git')}\n`);
  const third = request({ url }, d);
  t.is((await checkout(third.req)).report.commit, c1);
  t.regex(third.console(), /Cloning the remote Git repository/);
  t.notRegex(await readFile(join(elsewhere, '.git', 'config'), 'utf8'), /remote "origin"/, 'the other repository was not touched');
});

test('submodules are checked out recursively; a shallow fetch whose previous commit is missing says so instead of guessing changes', async (t) => {
  const lib = await server.repo('lib');
  await lib.commit('lib one', { 'lib.txt': 'lib\n' });
  await lib.push();
  const app = await server.repo('with-sub');
  await app.commit('one', { 'app.txt': '1' });
  await gitIn(app.work, ['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', `${server.url}lib.git`, 'vendor/lib']);
  const c2 = await app.commit('add lib', {});
  await app.push();
  const d = await dirs(t);
  const url = `${server.url}with-sub.git`;
  const sub = await checkout(request({ url, submodules: true }, d).req);
  t.is(sub.report.commit, c2);
  t.is(await readFile(join(d.workspace, 'vendor/lib/lib.txt'), 'utf8'), 'lib\n');

  const c3 = await app.commit('three', { 'app.txt': '3' });
  await app.push();
  const shallow = await dirs(t);
  const first = request({ url, depth: 1 }, shallow, [{ branch: 'origin/main', commit: c2, successfulCommit: c2 }]);
  const r = await checkout(first.req);
  t.is(r.report.commit, c3);
  t.deepEqual(r.report.changes, []);
  t.regex(first.console(), new RegExp(`Could not determine the changes since ${c2}: it is not in this clone`));
  t.is((await gitIn(shallow.workspace, ['rev-list', '--count', 'HEAD'])).trim(), '1', 'a depth-1 fetch');
});
