/**
 * Git checkout through the whole system: a real master, a real agent (in-process) and a real git
 * smart-HTTP server. The agent checks out before the first step, the steps see the git plugin's
 * variables, and each build's changeSet holds exactly the commits pushed since the previous one.
 */
import test from 'ava';
import { startRig } from '../helpers/agent-rig.ts';
import { call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startGitServer } from '../helpers/git-server.ts';
import { processesWith } from '../helpers/fleet.ts';
import { parentOf } from '../helpers/proc-scan.ts';
import { launcherPid } from '../../worker/src/steps/step-launcher.ts';

test('a public repository: checkout before the steps, GIT_* variables, and the second build lists exactly the new commits', async (t) => {
  t.timeout(120_000); // two builds with real git servers; slow on a loaded machine
  const server = await startGitServer();
  t.teardown(() => server.close());
  const repo = await server.repo('app');
  const c1 = await repo.commit('Initial import', { 'build.sh': 'echo building\n' });
  await repo.push();
  const rig = await startRig(t);
  const url = `${server.url}app.git`;
  await rig.job('app', {
    scm: { type: 'git', url, branches: ['*/main'] },
    steps: [{ type: 'shell', script: 'sh build.sh\necho "commit=$GIT_COMMIT branch=$GIT_BRANCH url=$GIT_URL previous=${GIT_PREVIOUS_COMMIT:-none} ok=${GIT_PREVIOUS_SUCCESSFUL_COMMIT:-none}"' }],
  });
  const b1 = await rig.finished(await rig.trigger('app'));
  t.is(b1.result, 'SUCCESS', b1.text);
  t.regex(b1.text, /Cloning the remote Git repository\n/);
  t.regex(b1.text, new RegExp(`Fetching upstream changes from ${url}\\n`));
  t.regex(b1.text, new RegExp(`Checking out Revision ${c1} \\(origin/main\\)\\n`));
  t.regex(b1.text, /Commit message: "Initial import"\n/);
  t.regex(b1.text, /\nbuilding\n/);
  t.true(b1.text.includes(`commit=${c1} branch=origin/main url=${url} previous=none ok=none`), b1.text);
  const first = await rig.build('app', b1.number);
  t.deepEqual(first.revision, { commit: c1, branch: 'origin/main', url });
  t.deepEqual(first.changeSet, { kind: 'git', items: [], more: 0 });

  const c2 = await repo.commit('Add tests', { 'test.sh': 'echo test\n' }, { name: 'Grace Hopper', email: 'grace@example.org' });
  const c3 = await repo.commit('Fix the build\n\nIt printed the wrong thing.', { 'build.sh': 'echo building better\n' });
  await repo.push();
  const b2 = await rig.finished(await rig.trigger('app'));
  t.is(b2.result, 'SUCCESS', b2.text);
  t.regex(b2.text, /Fetching changes from the remote Git repository\n/);
  t.notRegex(b2.text, /Cloning/);
  t.true(b2.text.includes(`commit=${c3} branch=origin/main url=${url} previous=${c1} ok=${c1}`), b2.text);
  const second = await rig.build('app', b2.number);
  t.deepEqual(second.changeSet.items.map((i: { commitId: string }) => i.commitId), [c3, c2]);
  t.like(second.changeSet.items[1], { authorName: 'Grace Hopper', authorEmail: 'grace@example.org', message: 'Add tests', paths: [{ editType: 'add', file: 'test.sh' }] });
  t.like(second.changeSet.items[0], { message: 'Fix the build\n\nIt printed the wrong thing.', paths: [{ editType: 'edit', file: 'build.sh' }] });

  const recent = await call(rig.m.url, 'GET', '/api/jobs/app/changes', { token: rig.admin });
  t.is(recent.status, 200);
  t.deepEqual(recent.body.builds.map((b: { number: number; changeSet: { items: unknown[] } }) => [b.number, b.changeSet.items.length]), [[b2.number, 2], [b1.number, 0]]);
});

test('notifyCommit with sha1= builds that commit, not the head its branch moved to since; the steps see it', async (t) => {
  t.timeout(120_000); // a build with a real git server; slow on a loaded machine
  const server = await startGitServer();
  t.teardown(() => server.close());
  const repo = await server.repo('pinned');
  const c1 = await repo.commit('announced', { 'v.txt': 'one\n' });
  await repo.push();
  await repo.commit('pushed after', { 'v.txt': 'two\n' });
  await repo.push();
  const rig = await startRig(t);
  const url = `${server.url}pinned.git`;
  const token = 'notify-commit-token-of-this-test';
  t.is((await call(rig.m.url, 'PUT', '/api/settings/webhooks', { token: rig.admin, json: { notifyCommitAccessToken: token } })).status, 200);
  await rig.job('pinned', { scm: { type: 'git', url, branches: ['*/main'] }, triggers: { pollScm: '' }, steps: [{ type: 'shell', script: 'echo "commit=$GIT_COMMIT branch=$GIT_BRANCH v=$(cat v.txt)"' }] });
  const res = await call(rig.m.url, 'GET', `/git/notifyCommit?url=${encodeURIComponent(url)}&branches=main&sha1=${c1}&token=${token}`);
  t.is(res.text, 'Scheduled pinned\n');
  let build: { result?: string | null; revision?: unknown } = {};
  await until('pinned #1 to finish', async () => typeof (build = await rig.build('pinned', 1)).result === 'string', 60_000, 20);
  const text = (await rig.consoleBytes('pinned', 1)).toString('utf8');
  t.is(build.result, 'SUCCESS', text);
  t.true(text.includes(`commit=${c1} branch=origin/main v=one`), text);
  t.deepEqual(build.revision, { commit: c1, branch: 'origin/main', url });
});

test('an abort during the fetch kills git and ends the build ABORTED without running a step', async (t) => {
  t.timeout(120_000); // a build with a real git server; slow on a loaded machine
  const server = await startGitServer();
  t.teardown(() => server.close());
  const repo = await server.repo('slow');
  await repo.commit('one', { f: '1' });
  await repo.push();
  const rig = await startRig(t);
  await rig.job('slow', { scm: { type: 'git', url: `${server.url}slow.git` }, steps: [{ type: 'shell', script: 'echo step-ran' }] });
  let release: () => void = () => {};
  let held: () => void = () => {};
  const fetching = new Promise<void>((r) => (held = r));
  server.hold = () => {
    held();
    return new Promise<void>((r) => (release = r));
  };
  const queued = await rig.trigger('slow');
  await fetching;
  // git runs under the agent's step launcher, like the steps: the agent itself never forks it.
  const [remoteHelper] = await processesWith(`${server.url}slow.git`);
  const fetch = await parentOf(remoteHelper!);
  t.is(await parentOf(fetch!), launcherPid());
  const number = await rig.numberOf(queued);
  t.is((await call(rig.m.url, 'POST', `/api/jobs/slow/builds/${number}/abort`, { token: rig.admin })).status, 202);
  const abortedAt = Date.now();
  const b = await rig.finished(queued);
  t.log(`ended ${Date.now() - abortedAt} ms after the abort`);
  release();
  t.is(b.result, 'ABORTED', b.text);
  t.notRegex(b.text, /step-ran/);
  t.deepEqual(await processesWith(`${server.url}slow.git`), [], 'no git process is left');
});
