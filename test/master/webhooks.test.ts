/**
 * Push notifications at Jenkins' paths, with payloads and signatures as each forge sends them:
 * each starts exactly the matching jobs once; a missing or wrong token or signature is refused
 * (401/403), starts nothing, and is logged without its body.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { sql } from 'slonik';
import { z } from 'zod';
import { githubHeaders, githubPush, giteaHeaders, giteaPush, gitlabHeaders, gitlabPush } from '../fixtures/forge-payloads.ts';
import { bareRepo, type BareRepo } from '../helpers/git-repos.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

const GITHUB_SECRET = 'It\'s a Secret to Everybody';
const GITEA_SECRET = 'gitea-webhook-secret';
const NOTIFY_TOKEN = 'notify-commit-access-token-1';
const GITLAB_TOKEN = 'gitlab-secret-token';
const sha = () => randomBytes(20).toString('hex');

/** A master with the forges' secrets and the notifyCommit token set, and what it logs (warn and up). */
interface HookMaster {
  m: TestMaster;
  admin: string;
  log: string[];
}

/** The master most tests share, each with jobs and repositories of its own on it (forgeJobs). */
let shared: HookMaster;
let root: string;

async function hookMaster(): Promise<HookMaster> {
  const log: string[] = [];
  // Its polled repositories are file:// ones on this disk.
  const m = await startTestMaster({ allowLocalCheckout: true, log: pino({ level: 'warn' }, { write: (line: string) => void log.push(line) }) });
  const admin = await bootstrapAdmin(m.url);
  for (const [id, secret] of [['github-hook', GITHUB_SECRET], ['gitea-hook', GITEA_SECRET]]) {
    const res = await call(m.url, 'POST', '/api/credentials', { token: admin, json: { id, kind: 'secretText', secret } });
    if (res.status !== 201) throw new Error(res.text);
  }
  const settings = await call(m.url, 'PUT', '/api/settings/webhooks', { token: admin, json: { githubSecretCredentialsId: 'github-hook', giteaSecretCredentialsId: 'gitea-hook', notifyCommitAccessToken: NOTIFY_TOKEN } });
  if (settings.status !== 200) throw new Error(settings.text);
  return { m, admin, log };
}

/** A master of the test's own, for what is master-wide (its log, every build on it); closed when the test ends. */
async function ownMaster(t: ExecutionContext): Promise<HookMaster> {
  const h = await hookMaster();
  t.teardown(() => h.m.close());
  return h;
}

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'jk-hooks-'));
  shared = await hookMaster();
});
test.after.always(async () => {
  await shared?.m.close();
  await rm(root, { recursive: true, force: true });
});

/**
 * A test's own jobs, one for each way a push may or may not build a job, each named `<p>-…` and
 * on repositories named after `p` (github.com/octocat/Hello-World-<p>, mike/diaspora-<p>,
 * alice/app-<p>, a bare repository `<p>` on disk; the generic token generic-token-<p>), so that no
 * other test's push or notification matches them. Answers the bare repository.
 */
async function forgeJobs(h: HookMaster, p: string): Promise<BareRepo> {
  const local = await bareRepo(root, p);
  const gh = `https://github.com/octocat/Hello-World-${p}.git`;
  const jobs: Record<string, unknown>[] = [
    { name: 'gh-main', scm: { type: 'git', url: gh, branches: ['*/main'] }, triggers: { githubPush: true } },
    { name: 'gh-ssh-main', scm: { type: 'git', url: `git@github.com:octocat/Hello-World-${p}`, branches: ['main'] }, triggers: { githubPush: true } },
    { name: 'gh-dev', scm: { type: 'git', url: gh, branches: ['*/dev'] }, triggers: { githubPush: true } },
    { name: 'gh-no-hook', scm: { type: 'git', url: gh, branches: ['*/main'] } },
    { name: 'gh-other-repo', scm: { type: 'git', url: `https://github.com/octocat/Spoon-Knife-${p}.git` }, triggers: { githubPush: true } },
    { name: 'poll-gh', scm: { type: 'git', url: `ssh://git@github.com/octocat/Hello-World-${p}.git/`, branches: ['*/main'] }, triggers: { pollScm: '' } },
    { name: 'poll-local', scm: { type: 'git', url: local.url, branches: ['*/main'] }, triggers: { pollScm: '' } },
    { name: 'gl-job', scm: { type: 'git', url: `https://gitlab.example.com/mike/diaspora-${p}.git`, branches: ['*/main'] }, triggers: { gitlabSecretToken: GITLAB_TOKEN } },
    { name: 'gitea-job', scm: { type: 'git', url: `https://gitea.example.com/alice/app-${p}.git`, branches: ['*/main'] }, triggers: { pollScm: '' } },
    {
      name: 'generic-job',
      parameters: [{ type: 'string', name: 'REF' }, { type: 'string', name: 'AUTHOR' }, { type: 'string', name: 'MISSING', default: 'x' }],
      triggers: { genericWebhook: { token: `generic-token-${p}`, parameters: [{ key: 'REF', expression: '$.ref' }, { key: 'AUTHOR', expression: "$.commits[0]['author'].name" }, { key: 'MISSING', expression: '$.nope', defaultValue: 'fallback' }, { key: 'NOT_A_PARAMETER', expression: '$.commits[*].id' }] } },
    },
  ];
  for (const json of jobs) {
    const res = await call(h.m.url, 'POST', '/api/jobs', { token: h.admin, json: { ...json, name: `${p}-${json.name}` } });
    if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
  }
  return local;
}

/** Builds of each of the test's jobs (`<p>-…`, named without the prefix) so far, with their causes. */
async function builds(h: HookMaster, p: string): Promise<Record<string, string[]>> {
  const rows = await h.m.pool.any(sql.type(z.object({ name: z.string(), causes: z.array(z.record(z.string(), z.unknown())) }))`
    SELECT j.name, b.causes FROM builds b JOIN jobs j ON j.id = b.job_id WHERE starts_with(j.name, ${`${p}-`}) ORDER BY b.id`);
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[r.name.slice(p.length + 1)] ??= []).push(JSON.stringify(r.causes));
  return out;
}
const counts = async (h: HookMaster, p: string) => Object.fromEntries(Object.entries(await builds(h, p)).map(([k, v]) => [k, v.length]));
const post = (h: HookMaster, path: string, raw: string, headers: Record<string, string>) => call(h.m.url, 'POST', path, { raw, headers });

test('GitHub: a signed push builds the githubPush jobs of that repository and branch, once; a redelivery builds nothing', async (t) => {
  const h = shared;
  const p = 'github';
  await forgeJobs(h, p);
  const after = sha();
  const body = githubPush({ owner: 'octocat', repo: `Hello-World-${p}`, ref: 'refs/heads/main', after, pusher: 'Codertocat' });
  const headers = githubHeaders('push', body, GITHUB_SECRET);
  const res = await post(h, '/github-webhook/', body, headers);
  t.is(res.status, 200, res.text);
  t.deepEqual(await counts(h, p), { 'gh-main': 1, 'gh-ssh-main': 1 });
  t.like(JSON.parse((await builds(h, p))['gh-main']![0]!), [{ kind: 'push', forge: 'github', pusher: 'Codertocat', sha: after }]);
  const queue = await call(h.m.url, 'GET', '/api/queue', { token: h.admin });
  t.true(JSON.stringify(queue.body.items.filter((i: { job: string }) => i.job === `${p}-gh-main`)).includes('Started by GitHub push by Codertocat'));
  t.is((await post(h, '/github-webhook/', body, headers)).status, 200, 'the same X-GitHub-Delivery again');
  t.deepEqual(await counts(h, p), { 'gh-main': 1, 'gh-ssh-main': 1 });
  const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  t.is((await post(h, '/github-webhook/', ping, githubHeaders('ping', ping, GITHUB_SECRET))).status, 200);
});

test('GitHub: unsigned, wrongly signed or tampered pushes are refused, build nothing, and are logged without the body', async (t) => {
  // A master of its own: the refusals counted are every one in its log.
  const h = await ownMaster(t);
  const p = 'refused';
  await forgeJobs(h, p);
  const before = await counts(h, p);
  const body = githubPush({ owner: 'octocat', repo: `Hello-World-${p}`, ref: 'refs/heads/main', after: sha(), pusher: 'Mallory-marker-in-body' });
  t.is((await post(h, '/github-webhook/', body, githubHeaders('push', body, null))).status, 401);
  t.is((await post(h, '/github-webhook/', body, githubHeaders('push', body, 'not the secret'))).status, 403);
  t.is((await post(h, '/github-webhook/', body.replace('main', 'dev'), githubHeaders('push', body, GITHUB_SECRET))).status, 403, 'a body changed after signing');
  t.deepEqual(await counts(h, p), before);
  const refused = h.log.filter((l) => l.includes('webhook refused'));
  t.true(refused.length >= 3);
  t.false(h.log.some((l) => l.includes('Mallory-marker-in-body')), 'no body in the log');
});

test('notifyCommit: needs the access token; with sha1 builds every Poll SCM job of that repository (URL normalised) once; without, polls', async (t) => {
  const h = shared;
  const p = 'notify';
  const local = await forgeJobs(h, p);
  const url = encodeURIComponent(`https://github.com/octocat/Hello-World-${p}`);
  t.is((await call(h.m.url, 'GET', `/git/notifyCommit?url=${url}`)).status, 401);
  t.is((await call(h.m.url, 'GET', `/git/notifyCommit?url=${url}&token=wrong-token-wrong`)).status, 403);
  t.is((await counts(h, p))['poll-gh'], undefined);
  const commit = sha();
  const res = await call(h.m.url, 'GET', `/git/notifyCommit?url=${url}&branches=main&sha1=${commit}&token=${NOTIFY_TOKEN}`);
  t.is(res.status, 200);
  t.is(res.text, `Scheduled ${p}-poll-gh\n`);
  t.is((await counts(h, p))['poll-gh'], 1);
  t.true((await builds(h, p))['poll-gh']![0]!.includes(`"commitNotification"`));
  t.regex((await call(h.m.url, 'POST', `/git/notifyCommit?url=${url}&branches=nope&token=${NOTIFY_TOKEN}`)).text, new RegExp(`^No git jobs using repository: https://github.com/octocat/Hello-World-${p} and branches: nope`));
  // Without sha1: the job is polled (its repository is a real one), and builds because it never did.
  const polled = await call(h.m.url, 'POST', `/git/notifyCommit?url=${encodeURIComponent(local.url.replace(/\.git$/, '') + '/')}&token=${NOTIFY_TOKEN}`);
  t.is(polled.text, `Scheduled polling of ${p}-poll-local\n`);
  await until('poll-local to be built', async () => (await counts(h, p))['poll-local'] === 1);
  await h.m.services.webhooks.settled();
  t.is((await counts(h, p))['poll-local'], 1);
  t.false(JSON.stringify(await call(h.m.url, 'GET', '/api/settings/webhooks', { token: h.admin })).includes(NOTIFY_TOKEN), 'the token is shown as ****');
});

test('GitLab: /project/<job> with the job\'s X-Gitlab-Token builds it once; a missing or wrong token builds nothing', async (t) => {
  const h = shared;
  const p = 'gitlab';
  await forgeJobs(h, p);
  const project = `/project/${p}-gl-job`;
  const body = gitlabPush({ path: `mike/diaspora-${p}`, ref: 'refs/heads/main', after: sha(), user: 'John Smith' });
  t.is((await post(h, project, body, gitlabHeaders(null))).status, 401);
  t.is((await post(h, project, body, gitlabHeaders('wrong-gitlab-token'))).status, 403);
  t.is((await post(h, `/project/${p}-no-such-job`, body, gitlabHeaders(GITLAB_TOKEN))).status, 403, 'an unknown job is refused as a wrong token is');
  t.is((await counts(h, p))['gl-job'], undefined);
  const res = await post(h, project, body, gitlabHeaders(GITLAB_TOKEN));
  t.is(res.status, 200, res.text);
  t.is((await counts(h, p))['gl-job'], 1);
  t.true((await builds(h, p))['gl-job']![0]!.includes('"pusher":"John Smith"'));
  const other = gitlabPush({ path: `mike/diaspora-${p}`, ref: 'refs/heads/feature', after: sha(), user: 'John Smith' });
  t.is((await post(h, project, other, gitlabHeaders(GITLAB_TOKEN))).status, 200);
  t.is((await counts(h, p))['gl-job'], 1, 'a branch the job does not build');
});

test('Gitea: a push signed in X-Gitea-Signature builds the Poll SCM jobs of that repository once; a wrong signature builds nothing', async (t) => {
  const h = shared;
  const p = 'gitea';
  await forgeJobs(h, p);
  const body = giteaPush({ owner: 'alice', repo: `app-${p}`, ref: 'refs/heads/main', after: sha(), pusher: 'alice' });
  t.is((await post(h, '/gitea-webhook/post', body, giteaHeaders(body, null))).status, 401);
  t.is((await post(h, '/gitea-webhook/post', body, giteaHeaders(body, 'wrong'))).status, 403);
  t.is((await counts(h, p))['gitea-job'], undefined);
  t.is((await post(h, '/gitea-webhook/post', body, giteaHeaders(body, GITEA_SECRET))).status, 200);
  t.is((await counts(h, p))['gitea-job'], 1);
  t.true((await builds(h, p))['gitea-job']![0]!.includes('"forge":"gitea"'));
});

test('Generic Webhook Trigger: the token\'s jobs build once, JSONPath values as their parameters; a wrong or missing token builds nothing', async (t) => {
  const h = shared;
  const p = 'generic';
  await forgeJobs(h, p);
  const body = JSON.stringify({ ref: 'refs/heads/main', commits: [{ id: 'c1', author: { name: 'Ada' } }, { id: 'c2', author: { name: 'Bob' } }] });
  t.is((await post(h, '/generic-webhook-trigger/invoke', body, { 'content-type': 'application/json' })).status, 401);
  t.is((await post(h, '/generic-webhook-trigger/invoke?token=wrong-token-x', body, { 'content-type': 'application/json' })).status, 403);
  t.is((await counts(h, p))['generic-job'], undefined);
  const res = await post(h, `/generic-webhook-trigger/invoke?token=generic-token-${p}`, body, { 'content-type': 'application/json' });
  t.is(res.status, 200, res.text);
  t.like(res.body, { message: 'Triggered jobs.', jobs: { [`${p}-generic-job`]: { triggered: true, resolvedVariables: { REF: 'refs/heads/main', AUTHOR: 'Ada', MISSING: 'fallback', NOT_A_PARAMETER: '["c1","c2"]' } } } });
  const item = await call(h.m.url, 'GET', `/api/queue/${res.body.jobs[`${p}-generic-job`].id}`, { token: h.admin });
  t.like(item.body, { causes: ['Generic Cause'], parameters: { REF: 'refs/heads/main', AUTHOR: 'Ada', MISSING: 'fallback' } });
  t.is((await post(h, '/generic-webhook-trigger/invoke', body, { 'content-type': 'application/json', authorization: `Bearer generic-token-${p}` })).status, 200, 'the token as a Bearer header');
  t.is((await counts(h, p))['generic-job'], 2);
});

test('webhook bodies are bounded and must be JSON; deep nesting is refused', async (t) => {
  const h = shared;
  const p = 'bounded';
  await forgeJobs(h, p);
  const invoke = `/generic-webhook-trigger/invoke?token=generic-token-${p}`;
  const big = 'x'.repeat(6 * 1024 * 1024);
  t.is((await post(h, invoke, big, { 'content-type': 'application/json' })).status, 413);
  t.is((await post(h, invoke, '{"ref":', { 'content-type': 'application/json' })).status, 400);
  const deep = `${'['.repeat(1000)}${']'.repeat(1000)}`;
  t.is((await post(h, invoke, deep, { 'content-type': 'application/json' })).status, 400);
});

test('garbage at every webhook endpoint is a 4xx or a 200 that builds nothing, never a 500', async (t) => {
  // A master of its own: "nothing" is of every job on it.
  const h = await ownMaster(t);
  const p = 'garbage';
  await forgeJobs(h, p);
  const before = await counts(h, p);
  const bodies = ['', 'null', '[]', '"x"', '{"ref":1}', '{"after":"zz","repository":null}', '\u0000\uffff', '%%%', 'payload=%7B', JSON.stringify({ ref: 'refs/heads/main', after: 'z'.repeat(40), repository: { clone_url: 42 } })];
  const endpoints: [string, Record<string, string>][] = [
    ['/github-webhook/', githubHeaders('push', '', GITHUB_SECRET)],
    ['/gitea-webhook/post', giteaHeaders('', GITEA_SECRET)],
    [`/project/${p}-gl-job`, gitlabHeaders(GITLAB_TOKEN)],
    [`/generic-webhook-trigger/invoke?token=generic-token-${p}`, {}],
    [`/git/notifyCommit?token=${NOTIFY_TOKEN}&url=%00&sha1=xyz`, {}],
  ];
  for (const [path, headers] of endpoints) {
    for (const raw of bodies) {
      const signed = path.startsWith('/github') ? githubHeaders('push', raw, GITHUB_SECRET) : path.startsWith('/gitea') ? giteaHeaders(raw, GITEA_SECRET) : headers;
      for (const type of ['application/json', 'application/x-www-form-urlencoded', 'text/plain']) {
        const res = await post(h, path, raw, { ...signed, 'content-type': type });
        t.true(res.status < 500, `${path} ${type} ${JSON.stringify(raw)}: ${res.status} ${res.text}`);
      }
    }
  }
  const after = await counts(h, p);
  t.deepEqual(Object.fromEntries(Object.entries(after).filter(([k]) => k !== 'generic-job')), Object.fromEntries(Object.entries(before).filter(([k]) => k !== 'generic-job')), 'no forge push built anything');
});
