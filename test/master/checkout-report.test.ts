/**
 * The agent's checkout report (AGENT_PATHS.checkout), spoken by the test itself: the master takes
 * it only from the agent running the build, only for a job with scm and its own repository, only
 * within the bounds of CheckoutReport; the next build's spec carries the previous commits per
 * branch, and GIT_PREVIOUS_SUCCESSFUL_COMMIT only from a SUCCESS.
 */
import test from 'ava';
import { MAX_CHANGE_PATHS, MAX_CHANGES } from '../../shared/src/scm.ts';
import { agentLogin, bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
const agents: Record<string, string> = {};
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  for (const name of ['runner', 'other']) {
    const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: 2, labels: [name] } });
    agents[name] = (await call(m.url, 'POST', '/login-slave', { json: agentLogin(name, body.secret) })).text;
  }
});
test.after.always(() => m?.close());

const URL_ = 'https://git.example.org/app.git';
const sha = (c: string) => c.repeat(40);
const as = (agent: string, method: string, path: string, json?: unknown) => call(m.url, method, path, { token: agents[agent], json });
const item = (commitId: string, extra: object = {}) => ({ commitId, authorName: 'A', authorEmail: 'a@x', timestamp: 1_700_000_000_000, message: 'm', paths: [{ editType: 'edit', file: 'f' }], ...extra });

async function start(job: string) {
  const id = (await call(m.url, 'POST', `/api/jobs/${job}/builds`, { token: admin, json: {} })).body.queueId;
  const started = await as('runner', 'POST', `/api/agent/builds/${id}/start`, { executor: 0 });
  if (started.status !== 200) throw new Error(started.text);
  return { id, spec: started.body };
}
async function finish(id: number, result: string) {
  const { body } = await call(m.url, 'GET', `/api/queue/${id}`, { token: admin });
  const build = (await call(m.url, 'GET', `/api/jobs/${body.job}/builds/${body.build.number}`, { token: admin })).body;
  const res = await as('runner', 'POST', `/api/agent/builds/${id}/finish`, { result, logSize: build.logSize });
  if (res.status !== 200) throw new Error(res.text);
}

test('only the agent running a build of a job with that scm may report; bad and oversized reports are 400s', async (t) => {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'cr-scm', label: 'runner', scm: { type: 'git', url: URL_ } } });
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'cr-plain', label: 'runner' } });
  const { id } = await start('cr-scm');
  const report = { commit: sha('a'), branch: 'origin/main', url: URL_, changes: [item(sha('b'))] };
  t.is((await as('other', 'POST', `/api/agent/builds/${id}/checkout`, report)).status, 403);
  t.is((await call(m.url, 'POST', `/api/agent/builds/${id}/checkout`, { token: admin, json: report })).status, 403, 'people are not agents');
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, { ...report, url: 'https://evil.example/x.git' })).status, 400);
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, { ...report, commit: 'HEAD' })).status, 400);
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, { ...report, changes: Array.from({ length: MAX_CHANGES + 1 }, () => item(sha('c'))) })).status, 400);
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, { ...report, changes: [item(sha('c'), { paths: Array.from({ length: MAX_CHANGE_PATHS + 1 }, () => ({ editType: 'add', file: 'x' })) })] })).status, 400);
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, { ...report, changes: [item(sha('c'), { message: 'x'.repeat(1_100_000) })] })).status, 413);
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, { ...report, extra: 1 })).status, 400);
  const ok = await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, report);
  t.is(ok.status, 204, ok.text);
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, report)).status, 204, 'a resend is taken again');
  const build = (await call(m.url, 'GET', '/api/jobs/cr-scm/builds/1', { token: admin })).body;
  t.deepEqual(build.revision, { commit: sha('a'), branch: 'origin/main', url: URL_ });
  t.deepEqual(build.changeSet, { kind: 'git', items: [{ ...item(sha('b')), morePaths: 0 }], more: 0 });
  await finish(id, 'SUCCESS');
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, report)).status, 409, 'not after the build ended');

  const plain = await start('cr-plain');
  t.is((await as('runner', 'POST', `/api/agent/builds/${plain.id}/checkout`, report)).status, 400, 'a job without scm checks nothing out');
});

test('the next spec carries, per branch, the latest commit and the latest successful one', async (t) => {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'cr-hist', label: 'runner', scm: { type: 'git', url: URL_, branches: ['origin/*'] } } });
  const report = (commit: string, branch: string) => ({ commit, branch, url: URL_, changes: [] });
  const b1 = await start('cr-hist');
  t.deepEqual(b1.spec.scmHistory, []);
  await as('runner', 'POST', `/api/agent/builds/${b1.id}/checkout`, report(sha('1'), 'origin/main'));
  await finish(b1.id, 'SUCCESS');
  const b2 = await start('cr-hist');
  await as('runner', 'POST', `/api/agent/builds/${b2.id}/checkout`, report(sha('2'), 'origin/main'));
  await finish(b2.id, 'FAILURE');
  const b3 = await start('cr-hist');
  await as('runner', 'POST', `/api/agent/builds/${b3.id}/checkout`, report(sha('3'), 'origin/dev'));
  await finish(b3.id, 'SUCCESS');
  const b4 = await start('cr-hist');
  t.deepEqual(b4.spec.scmHistory, [
    { branch: 'origin/dev', commit: sha('3'), successfulCommit: sha('3') },
    { branch: 'origin/main', commit: sha('2'), successfulCommit: sha('1') },
  ]);
  const recent = await call(m.url, 'GET', '/api/jobs/cr-hist/changes?limit=2', { token: admin });
  t.deepEqual(recent.body.builds.map((b: { number: number; revision: { commit: string } }) => [b.number, b.revision.commit]), [[3, sha('3')], [2, sha('2')]]);
  t.is((await call(m.url, 'GET', '/api/jobs/cr-hist/changes?limit=51', { token: admin })).status, 400);
});

test('Recent Changes lists at most 100 commits of a build and counts the rest; the build itself has them all', async (t) => {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'cr-many', label: 'runner', scm: { type: 'git', url: URL_ } } });
  const { id } = await start('cr-many');
  const hex = (i: number) => i.toString(16).padStart(40, '0');
  const changes = Array.from({ length: 150 }, (_, i) => item(hex(i + 1)));
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, { commit: sha('f'), branch: 'origin/main', url: URL_, changes, moreChanges: 7 })).status, 204);
  const recent = (await call(m.url, 'GET', '/api/jobs/cr-many/changes', { token: admin })).body.builds[0].changeSet;
  t.is(recent.items.length, 100);
  t.is(recent.items[99].commitId, hex(100));
  t.is(recent.more, 57);
  const build = (await call(m.url, 'GET', '/api/jobs/cr-many/builds/1', { token: admin })).body.changeSet;
  t.is(build.items.length, 150);
  t.is(build.more, 7);
});

test("Jenkins' api/json of a build shows its commits as the git plugin's GitChangeSetList", async (t) => {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'cr-jenkins', label: 'runner', scm: { type: 'git', url: URL_ } } });
  const { id } = await start('cr-jenkins');
  const change = item(sha('d'), { authorName: 'Grace Hopper', authorEmail: 'grace@example.org', message: 'Fix the parser\n\nIt looped.', paths: [{ editType: 'add', file: 'src/parser.ts' }] });
  t.is((await as('runner', 'POST', `/api/agent/builds/${id}/checkout`, { commit: sha('d'), branch: 'origin/main', url: URL_, changes: [change] })).status, 204);
  const json = (await call(m.url, 'GET', '/job/cr-jenkins/1/api/json?depth=3', { token: admin })).body;
  t.is(json.changeSet._class, 'hudson.plugins.git.GitChangeSetList');
  t.is(json.changeSet.kind, 'git');
  t.like(json.changeSet.items[0], { _class: 'hudson.plugins.git.GitChangeSet', commitId: sha('d'), msg: 'Fix the parser', authorEmail: 'grace@example.org', affectedPaths: ['src/parser.ts'], paths: [{ editType: 'add', file: 'src/parser.ts' }] });
  t.is(json.changeSet.items[0].author.fullName, 'Grace Hopper');
  const plain = (await call(m.url, 'GET', '/job/cr-jenkins/1/api/json?tree=changeSet[items[commitId]]', { token: admin })).body;
  t.deepEqual(plain.changeSet.items.map((i: { commitId: string }) => i.commitId), [sha('d')]);
});
