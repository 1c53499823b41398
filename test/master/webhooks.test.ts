/**
 * Push notifications at Jenkins' paths, with payloads and signatures as each forge sends them:
 * each starts exactly the matching jobs once; a missing or wrong token or signature is refused
 * (401/403), starts nothing, and is logged without its body.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
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

let m: TestMaster;
let admin: string;
let root: string;
let local: BareRepo;
const logLines: string[] = [];

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'jk-hooks-'));
  local = await bareRepo(root, 'local');
  // Its polled repositories are file:// ones on this disk.
  m = await startTestMaster({ allowLocalCheckout: true, log: pino({ level: 'warn' }, { write: (line: string) => void logLines.push(line) }) });
  admin = await bootstrapAdmin(m.url);
  for (const [id, secret] of [['github-hook', GITHUB_SECRET], ['gitea-hook', GITEA_SECRET]]) {
    const res = await call(m.url, 'POST', '/api/credentials', { token: admin, json: { id, kind: 'secretText', secret } });
    if (res.status !== 201) throw new Error(res.text);
  }
  const settings = await call(m.url, 'PUT', '/api/settings/webhooks', { token: admin, json: { githubSecretCredentialsId: 'github-hook', giteaSecretCredentialsId: 'gitea-hook', notifyCommitAccessToken: NOTIFY_TOKEN } });
  if (settings.status !== 200) throw new Error(settings.text);
  const gh = 'https://github.com/octocat/Hello-World.git';
  const jobs: Record<string, unknown>[] = [
    { name: 'gh-main', scm: { type: 'git', url: gh, branches: ['*/main'] }, triggers: { githubPush: true } },
    { name: 'gh-ssh-main', scm: { type: 'git', url: 'git@github.com:octocat/Hello-World', branches: ['main'] }, triggers: { githubPush: true } },
    { name: 'gh-dev', scm: { type: 'git', url: gh, branches: ['*/dev'] }, triggers: { githubPush: true } },
    { name: 'gh-no-hook', scm: { type: 'git', url: gh, branches: ['*/main'] } },
    { name: 'gh-other-repo', scm: { type: 'git', url: 'https://github.com/octocat/Spoon-Knife.git' }, triggers: { githubPush: true } },
    { name: 'poll-gh', scm: { type: 'git', url: 'ssh://git@github.com/octocat/Hello-World.git/', branches: ['*/main'] }, triggers: { pollScm: '' } },
    { name: 'poll-local', scm: { type: 'git', url: local.url, branches: ['*/main'] }, triggers: { pollScm: '' } },
    { name: 'gl-job', scm: { type: 'git', url: 'https://gitlab.example.com/mike/diaspora.git', branches: ['*/main'] }, triggers: { gitlabSecretToken: GITLAB_TOKEN } },
    { name: 'gitea-job', scm: { type: 'git', url: 'https://gitea.example.com/alice/app.git', branches: ['*/main'] }, triggers: { pollScm: '' } },
    {
      name: 'generic-job',
      parameters: [{ type: 'string', name: 'REF' }, { type: 'string', name: 'AUTHOR' }, { type: 'string', name: 'MISSING', default: 'x' }],
      triggers: { genericWebhook: { token: 'generic-token-1', parameters: [{ key: 'REF', expression: '$.ref' }, { key: 'AUTHOR', expression: "$.commits[0]['author'].name" }, { key: 'MISSING', expression: '$.nope', defaultValue: 'fallback' }, { key: 'NOT_A_PARAMETER', expression: '$.commits[*].id' }] } },
    },
  ];
  for (const json of jobs) {
    const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json });
    if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
  }
});
test.after.always(async () => {
  await m?.close();
  await rm(root, { recursive: true, force: true });
});

/** Builds of each job so far, with their causes. */
async function builds(): Promise<Record<string, string[]>> {
  const rows = await m.pool.any(sql.type(z.object({ name: z.string(), causes: z.array(z.record(z.string(), z.unknown())) }))`
    SELECT j.name, b.causes FROM builds b JOIN jobs j ON j.id = b.job_id ORDER BY b.id`);
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[r.name] ??= []).push(JSON.stringify(r.causes));
  return out;
}
const counts = async () => Object.fromEntries(Object.entries(await builds()).map(([k, v]) => [k, v.length]));
const post = (path: string, raw: string, headers: Record<string, string>) => call(m.url, 'POST', path, { raw, headers });

test.serial('GitHub: a signed push builds the githubPush jobs of that repository and branch, once; a redelivery builds nothing', async (t) => {
  const after = sha();
  const body = githubPush({ owner: 'octocat', repo: 'Hello-World', ref: 'refs/heads/main', after, pusher: 'Codertocat' });
  const headers = githubHeaders('push', body, GITHUB_SECRET);
  const res = await post('/github-webhook/', body, headers);
  t.is(res.status, 200, res.text);
  t.deepEqual(await counts(), { 'gh-main': 1, 'gh-ssh-main': 1 });
  t.like(JSON.parse((await builds())['gh-main']![0]!), [{ kind: 'push', forge: 'github', pusher: 'Codertocat', sha: after }]);
  const queue = await call(m.url, 'GET', '/api/queue', { token: admin });
  t.true(JSON.stringify(queue.body).includes('Started by GitHub push by Codertocat'));
  t.is((await post('/github-webhook/', body, headers)).status, 200, 'the same X-GitHub-Delivery again');
  t.deepEqual(await counts(), { 'gh-main': 1, 'gh-ssh-main': 1 });
  const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  t.is((await post('/github-webhook/', ping, githubHeaders('ping', ping, GITHUB_SECRET))).status, 200);
});

test.serial('GitHub: unsigned, wrongly signed or tampered pushes are refused, build nothing, and are logged without the body', async (t) => {
  const before = await counts();
  const body = githubPush({ owner: 'octocat', repo: 'Hello-World', ref: 'refs/heads/main', after: sha(), pusher: 'Mallory-marker-in-body' });
  t.is((await post('/github-webhook/', body, githubHeaders('push', body, null))).status, 401);
  t.is((await post('/github-webhook/', body, githubHeaders('push', body, 'not the secret'))).status, 403);
  t.is((await post('/github-webhook/', body.replace('main', 'dev'), githubHeaders('push', body, GITHUB_SECRET))).status, 403, 'a body changed after signing');
  t.deepEqual(await counts(), before);
  const refused = logLines.filter((l) => l.includes('webhook refused'));
  t.true(refused.length >= 3);
  t.false(logLines.some((l) => l.includes('Mallory-marker-in-body')), 'no body in the log');
});

test.serial('notifyCommit: needs the access token; with sha1 builds every Poll SCM job of that repository (URL normalised) once; without, polls', async (t) => {
  const url = encodeURIComponent('https://github.com/octocat/Hello-World');
  t.is((await call(m.url, 'GET', `/git/notifyCommit?url=${url}`)).status, 401);
  t.is((await call(m.url, 'GET', `/git/notifyCommit?url=${url}&token=wrong-token-wrong`)).status, 403);
  t.is((await counts())['poll-gh'], undefined);
  const commit = sha();
  const res = await call(m.url, 'GET', `/git/notifyCommit?url=${url}&branches=main&sha1=${commit}&token=${NOTIFY_TOKEN}`);
  t.is(res.status, 200);
  t.is(res.text, 'Scheduled poll-gh\n');
  t.is((await counts())['poll-gh'], 1);
  t.true((await builds())['poll-gh']![0]!.includes(`"commitNotification"`));
  t.regex((await call(m.url, 'POST', `/git/notifyCommit?url=${url}&branches=nope&token=${NOTIFY_TOKEN}`)).text, /^No git jobs using repository: https:\/\/github.com\/octocat\/Hello-World and branches: nope/);
  // Without sha1: the job is polled (its repository is a real one), and builds because it never did.
  const polled = await call(m.url, 'POST', `/git/notifyCommit?url=${encodeURIComponent(local.url.replace(/\.git$/, '') + '/')}&token=${NOTIFY_TOKEN}`);
  t.is(polled.text, 'Scheduled polling of poll-local\n');
  await until('poll-local to be built', async () => (await counts())['poll-local'] === 1);
  await m.services.webhooks.settled();
  t.is((await counts())['poll-local'], 1);
  t.false(JSON.stringify(await call(m.url, 'GET', '/api/settings/webhooks', { token: admin })).includes(NOTIFY_TOKEN), 'the token is shown as ****');
});

test.serial('GitLab: /project/<job> with the job\'s X-Gitlab-Token builds it once; a missing or wrong token builds nothing', async (t) => {
  const body = gitlabPush({ path: 'mike/diaspora', ref: 'refs/heads/main', after: sha(), user: 'John Smith' });
  t.is((await post('/project/gl-job', body, gitlabHeaders(null))).status, 401);
  t.is((await post('/project/gl-job', body, gitlabHeaders('wrong-gitlab-token'))).status, 403);
  t.is((await post('/project/no-such-job', body, gitlabHeaders(GITLAB_TOKEN))).status, 403, 'an unknown job is refused as a wrong token is');
  t.is((await counts())['gl-job'], undefined);
  const res = await post('/project/gl-job', body, gitlabHeaders(GITLAB_TOKEN));
  t.is(res.status, 200, res.text);
  t.is((await counts())['gl-job'], 1);
  t.true((await builds())['gl-job']![0]!.includes('"pusher":"John Smith"'));
  const other = gitlabPush({ path: 'mike/diaspora', ref: 'refs/heads/feature', after: sha(), user: 'John Smith' });
  t.is((await post('/project/gl-job', other, gitlabHeaders(GITLAB_TOKEN))).status, 200);
  t.is((await counts())['gl-job'], 1, 'a branch the job does not build');
});

test.serial('Gitea: a push signed in X-Gitea-Signature builds the Poll SCM jobs of that repository once; a wrong signature builds nothing', async (t) => {
  const body = giteaPush({ owner: 'alice', repo: 'app', ref: 'refs/heads/main', after: sha(), pusher: 'alice' });
  t.is((await post('/gitea-webhook/post', body, giteaHeaders(body, null))).status, 401);
  t.is((await post('/gitea-webhook/post', body, giteaHeaders(body, 'wrong'))).status, 403);
  t.is((await counts())['gitea-job'], undefined);
  t.is((await post('/gitea-webhook/post', body, giteaHeaders(body, GITEA_SECRET))).status, 200);
  t.is((await counts())['gitea-job'], 1);
  t.true((await builds())['gitea-job']![0]!.includes('"forge":"gitea"'));
});

test.serial('Generic Webhook Trigger: the token\'s jobs build once, JSONPath values as their parameters; a wrong or missing token builds nothing', async (t) => {
  const body = JSON.stringify({ ref: 'refs/heads/main', commits: [{ id: 'c1', author: { name: 'Ada' } }, { id: 'c2', author: { name: 'Bob' } }] });
  t.is((await post('/generic-webhook-trigger/invoke', body, { 'content-type': 'application/json' })).status, 401);
  t.is((await post('/generic-webhook-trigger/invoke?token=wrong-token-x', body, { 'content-type': 'application/json' })).status, 403);
  t.is((await counts())['generic-job'], undefined);
  const res = await post('/generic-webhook-trigger/invoke?token=generic-token-1', body, { 'content-type': 'application/json' });
  t.is(res.status, 200, res.text);
  t.like(res.body, { message: 'Triggered jobs.', jobs: { 'generic-job': { triggered: true, resolvedVariables: { REF: 'refs/heads/main', AUTHOR: 'Ada', MISSING: 'fallback', NOT_A_PARAMETER: '["c1","c2"]' } } } });
  const item = await call(m.url, 'GET', `/api/queue/${res.body.jobs['generic-job'].id}`, { token: admin });
  t.like(item.body, { causes: ['Generic Cause'], parameters: { REF: 'refs/heads/main', AUTHOR: 'Ada', MISSING: 'fallback' } });
  t.is((await post('/generic-webhook-trigger/invoke', body, { 'content-type': 'application/json', authorization: 'Bearer generic-token-1' })).status, 200, 'the token as a Bearer header');
  t.is((await counts())['generic-job'], 2);
});

test('webhook bodies are bounded and must be JSON; deep nesting is refused', async (t) => {
  const big = 'x'.repeat(6 * 1024 * 1024);
  t.is((await post('/generic-webhook-trigger/invoke?token=generic-token-1', big, { 'content-type': 'application/json' })).status, 413);
  t.is((await post('/generic-webhook-trigger/invoke?token=generic-token-1', '{"ref":', { 'content-type': 'application/json' })).status, 400);
  const deep = `${'['.repeat(1000)}${']'.repeat(1000)}`;
  t.is((await post('/generic-webhook-trigger/invoke?token=generic-token-1', deep, { 'content-type': 'application/json' })).status, 400);
});

test('garbage at every webhook endpoint is a 4xx or a 200 that builds nothing, never a 500', async (t) => {
  const before = await counts();
  const bodies = ['', 'null', '[]', '"x"', '{"ref":1}', '{"after":"zz","repository":null}', '\u0000\uffff', '%%%', 'payload=%7B', JSON.stringify({ ref: 'refs/heads/main', after: 'z'.repeat(40), repository: { clone_url: 42 } })];
  const endpoints: [string, Record<string, string>][] = [
    ['/github-webhook/', githubHeaders('push', '', GITHUB_SECRET)],
    ['/gitea-webhook/post', giteaHeaders('', GITEA_SECRET)],
    ['/project/gl-job', gitlabHeaders(GITLAB_TOKEN)],
    ['/generic-webhook-trigger/invoke?token=generic-token-1', {}],
    [`/git/notifyCommit?token=${NOTIFY_TOKEN}&url=%00&sha1=xyz`, {}],
  ];
  for (const [path, headers] of endpoints) {
    for (const raw of bodies) {
      const signed = path.startsWith('/github') ? githubHeaders('push', raw, GITHUB_SECRET) : path.startsWith('/gitea') ? giteaHeaders(raw, GITEA_SECRET) : headers;
      for (const type of ['application/json', 'application/x-www-form-urlencoded', 'text/plain']) {
        const res = await post(path, raw, { ...signed, 'content-type': type });
        t.true(res.status < 500, `${path} ${type} ${JSON.stringify(raw)}: ${res.status} ${res.text}`);
      }
    }
  }
  const after = await counts();
  t.deepEqual(Object.fromEntries(Object.entries(after).filter(([k]) => k !== 'generic-job')), Object.fromEntries(Object.entries(before).filter(([k]) => k !== 'generic-job')), 'no forge push built anything');
});
