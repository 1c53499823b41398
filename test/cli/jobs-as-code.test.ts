/**
 * `jonkkins apply DIR` and `jonkkins export DIR` against a real master: created, updated,
 * unchanged on a second run, pruned; a document that does not validate changes nothing and is
 * named with its field; export then apply is a no-op, secrets included.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ADMIN, bootstrapAdmin, call } from '../helpers/http.ts';
import { runJonkkins } from '../helpers/processes.ts';
import { startTestMaster } from '../helpers/test-master.ts';

async function setUp(t: { teardown(fn: () => unknown): void }) {
  const master = await startTestMaster();
  t.teardown(() => master.close());
  const token = await bootstrapAdmin(master.url);
  const dir = mkdtempSync(join(tmpdir(), 'jk-jobs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const jonkkins = (...args: string[]) => runJonkkins([...args, '--url', master.url, '--user', ADMIN.username], { JONKKINS_PASSWORD: ADMIN.password });
  const write = (file: string, doc: unknown) => writeFileSync(join(dir, file), typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return { master, token, dir, jonkkins, write };
}

const build = { steps: [{ type: 'shell', script: 'make' }], triggers: { cron: 'H 2 * * *' } };

test('apply creates, then a second run changes nothing and says so; an edit updates one job; --prune deletes the rest', async (t) => {
  const { master, token, dir, jonkkins, write } = await setUp(t);
  write('app.json', build);
  write('app-image.json', { name: 'app-image', triggers: { upstream: { projects: 'app' } }, steps: [{ type: 'shell', script: 'echo image' }] });
  const first = await jonkkins('apply', dir);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /^created app-image\ncreated app\n2 created, 0 updated, 0 unchanged\n$/);
  const stored = await call(master.url, 'GET', '/api/jobs/app', { token });
  t.is(stored.body.triggers.cron, 'H 2 * * *');

  const again = await jonkkins('apply', dir);
  t.is(again.code, 0, again.stderr);
  t.is(again.stdout, 'nothing changed: 2 jobs as the documents say\n');

  write('app.json', { ...build, description: 'Builds the app' });
  const edited = await jonkkins('apply', dir);
  t.is(edited.stdout, 'updated app\n0 created, 1 updated, 1 unchanged\n');
  t.is((await call(master.url, 'GET', '/api/jobs/app', { token })).body.description, 'Builds the app');

  t.is((await call(master.url, 'POST', '/api/jobs', { token, json: { name: 'made-by-hand' } })).status, 201);
  const kept = await jonkkins('apply', dir);
  t.is(kept.stdout, 'nothing changed: 2 jobs as the documents say\n', 'without --prune other jobs stay');
  const pruned = await jonkkins('apply', dir, '--prune');
  t.is(pruned.stdout, 'deleted made-by-hand\n0 created, 0 updated, 2 unchanged, 1 deleted\n');
  t.is((await call(master.url, 'GET', '/api/jobs/made-by-hand', { token })).status, 404);
});

test('a document that does not validate changes nothing and names its file and field', async (t) => {
  const { master, token, dir, jonkkins, write } = await setUp(t);
  write('good.json', build);
  write('bad.json', { steps: [{ type: 'shell' }], quietPeriod: -1 });
  write('broken.json', '{ "steps": [');
  write('other.json', { name: 'not-other' });
  const res = await jonkkins('apply', dir);
  t.is(res.code, 1);
  t.regex(res.stderr, /jonkkins apply: nothing was changed:/);
  t.regex(res.stderr, /bad\.json: steps\.0\.script: /);
  t.regex(res.stderr, /bad\.json: quietPeriod: /);
  t.regex(res.stderr, /broken\.json: not JSON: /);
  t.regex(res.stderr, /other\.json: name: 'not-other' is not the file's name \('other'\)/);
  t.deepEqual((await call(master.url, 'GET', '/api/jobs', { token })).body.jobs, [], 'not even the good document was applied');
});

test('export writes each job as a document that apply takes back unchanged, secrets included', async (t) => {
  const { master, token, dir, jonkkins } = await setUp(t);
  const job = {
    name: 'deploy',
    parameters: [{ type: 'password', name: 'PW', default: 's3cret-value' }],
    triggers: { remoteToken: 'remote-token-1', gitlabSecretToken: 'gitlab-token-1', genericWebhook: { token: 'generic-token-1' } },
    steps: [{ type: 'shell', script: 'deploy' }],
  };
  t.is((await call(master.url, 'POST', '/api/jobs', { token, json: job })).status, 201);
  const exported = await jonkkins('export', dir);
  t.is(exported.code, 0, exported.stderr);
  t.deepEqual(readdirSync(dir), ['deploy.json']);
  const written = readFileSync(join(dir, 'deploy.json'), 'utf8');
  t.notRegex(written, /s3cret-value|remote-token-1|gitlab-token-1|generic-token-1/);
  t.false('permalinks' in JSON.parse(written));
  const applied = await jonkkins('apply', dir);
  t.is(applied.stdout, 'nothing changed: 1 job as the documents say\n');
  // The secrets were kept: the remote token still triggers.
  t.is((await call(master.url, 'POST', '/api/jobs/deploy/builds?token=remote-token-1')).status, 201);
});

test('a wrong password is refused with the master\'s reason', async (t) => {
  const { master, dir, write } = await setUp(t);
  write('app.json', build);
  const res = await runJonkkins(['apply', dir, '--url', master.url, '--user', ADMIN.username], { JONKKINS_PASSWORD: 'wrong password' });
  t.is(res.code, 1);
  t.regex(res.stderr, /login as admin refused: 401/);
});

test("Jonkkins' own CI (infra/jobs): applied twice, the second run changes nothing and says so", async (t) => {
  const { master, token, jonkkins } = await setUp(t);
  const infraJobs = new URL('../../infra/jobs/', import.meta.url).pathname;
  const first = await jonkkins('apply', infraJobs);
  t.is(first.code, 0, first.stderr);
  t.is(first.stdout, 'created jonkkins-image\ncreated jonkkins\n2 created, 0 updated, 0 unchanged\n');
  const again = await jonkkins('apply', infraJobs);
  t.is(again.stdout, 'nothing changed: 2 jobs as the documents say\n');
  const ci = (await call(master.url, 'GET', '/api/jobs/jonkkins', { token })).body;
  t.deepEqual(ci.downstreamProjects, ['jonkkins-image']);
  t.like(ci.scm, { type: 'git', branches: ['*/main'] });
  t.deepEqual(ci.publishers.map((p: { type: string }) => p.type), ['commitStatus', 'slackNotifier', 'mailer', 'buildOtherProjects']);
  const image = (await call(master.url, 'GET', '/api/jobs/jonkkins-image', { token })).body;
  t.is(image.steps[0].type, 'dockerBuild');
  t.is(image.steps[0].dockerfile, 'infra/Containerfile');
});

test('a generic webhook token of **** in a new job is refused: there is no stored token to keep', async (t) => {
  const { dir, jonkkins, write } = await setUp(t);
  write('hooked.json', { triggers: { genericWebhook: { token: '****' } } });
  const res = await jonkkins('apply', dir);
  t.is(res.code, 1);
  t.regex(res.stderr, /hooked\.json: refused by the master \(400: Invalid job: triggers\.genericWebhook\.token: \*\*\*\* keeps a stored token, and this job has none\)/);
});
