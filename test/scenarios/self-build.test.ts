/**
 * Jonkkins builds itself: a master with infra/jobs applied (by `jonkkins apply`) against a bare
 * clone of this very repository on a local git server; a signed GitHub push webhook starts
 * `jonkkins`; a real agent checks it out and runs a lighter test command (the whole suite inside
 * the suite is too heavy: the UI's type-check and one test file); GitHub's status API and Slack's
 * Web API (local receivers) hear of it; `jonkkins-image` follows and pushes an image to a local
 * docker-registry, fetched back by its digest.
 *
 * What the scenario changes in the documents, and why: the repository URL (the local server), the
 * status API's URL and the registry (local), the test command (lighter), notifySuccess (a first green
 * build is no "back to normal", and the scenario has one build), the mailer (no SMTP server here; the
 * mail rules have their own tests), and the image's Containerfile: infra/Containerfile starts from a
 * Node base image, and none can be pulled on this machine, so the image job builds a small one made
 * of the checked-out repository's package.json and a static busybox.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { githubHeaders, githubPush } from '../fixtures/forge-payloads.ts';
import { startRig } from '../helpers/agent-rig.ts';
import { ADMIN, call } from '../helpers/http.ts';
import { gitIn, startGitServer } from '../helpers/git-server.ts';
import { runJonkkins, until } from '../helpers/processes.ts';
import { podmanEnvironment, startRegistry } from '../helpers/registry.ts';
import { startSlackReceiver } from '../helpers/slack-receiver.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEBHOOK_SECRET = 'self-build webhook secret';
const STATUS_TOKEN = 'ghp_selfbuildstatustoken';
const SLACK_TOKEN = 'xoxb-self-build-token';
const REGISTRY_USER = { name: 'jonkkins-ci', password: 'registry-pass-w0rd' };

/** GitHub's status API: POST /api/v3/repos/:owner/:repo/statuses/:sha with a bearer token, as GitHub Enterprise answers it. */
async function githubStatusApi() {
  const statuses: { path: string; body: Record<string, string> }[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const ok = req.method === 'POST' && /^\/api\/v3\/repos\/jonkkins\/jonkkins\/statuses\/[0-9a-f]{40}$/.test(req.url ?? '') && req.headers.authorization === `Bearer ${STATUS_TOKEN}`;
    if (ok) statuses.push({ path: req.url!, body: JSON.parse(text) });
    res.writeHead(ok ? 201 : 404, { 'content-type': 'application/json' }).end(ok ? JSON.stringify({ id: statuses.length }) : '{"message":"Not Found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, statuses, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('infra/jobs applied to a master build this repository on a signed push: status, Slack, and the image pushed and fetched back by digest', async (t) => {
  const git = await startGitServer();
  t.teardown(() => git.close());
  const forge = await githubStatusApi();
  t.teardown(() => forge.close());
  const slack = await startSlackReceiver({ token: SLACK_TOKEN });
  t.teardown(() => slack.close());
  const registry = await startRegistry(t, REGISTRY_USER);

  // This repository, as committed, on the local server; then one commit on top that the push brings.
  const repo = await git.repo('jonkkins/jonkkins');
  await gitIn(repo.work, ['fetch', '-q', ROOT, 'HEAD']);
  await gitIn(repo.work, ['reset', '-q', '--hard', 'FETCH_HEAD']);
  await repo.push();
  const url = `${git.url}jonkkins/jonkkins.git`;

  const rig = await startRig(t, { name: 'builder', executors: 2, maintenance: { outboxEveryMs: 100 }, agent: { env: { ...process.env, ...(await podmanEnvironment(t)) } } });
  const { m, admin } = rig;
  const ok = async (what: string, res: Promise<{ status: number; text: string }>) => {
    const r = await res;
    t.true(r.status < 300, `${what}: ${r.status} ${r.text}`);
  };
  for (const credential of [
    { id: 'github-webhook', kind: 'secretText', secret: WEBHOOK_SECRET },
    { id: 'jonkkins-github-status', kind: 'secretText', secret: STATUS_TOKEN },
    { id: 'slack-bot', kind: 'secretText', secret: SLACK_TOKEN },
    { id: 'jonkkins-registry', kind: 'usernamePassword', username: REGISTRY_USER.name, password: REGISTRY_USER.password },
  ]) {
    await ok(`credential ${credential.id}`, call(m.url, 'POST', '/api/credentials', { token: admin, json: credential }));
  }
  await ok('webhook settings', call(m.url, 'PUT', '/api/settings/webhooks', { token: admin, json: { githubSecretCredentialsId: 'github-webhook' } }));
  await ok('slack settings', call(m.url, 'PUT', '/api/settings/notifications', { token: admin, json: { slack: { auth: 'botToken', credentialId: 'slack-bot', defaultChannel: '#general', baseUrl: `${slack.url}/api/` } } }));

  // infra/jobs, pointed at this machine's parts (see the top of the file for each change).
  const docs = await mkdtemp(join(tmpdir(), 'jk-self-jobs-'));
  t.teardown(() => rm(docs, { recursive: true, force: true }));
  for (const file of await readdir(join(ROOT, 'infra/jobs'))) {
    const job = JSON.parse(await readFile(join(ROOT, 'infra/jobs', file), 'utf8'));
    job.scm = { ...job.scm, url, credentialsId: undefined };
    job.publishers = job.publishers
      .filter((p: { type: string }) => p.type !== 'mailer')
      .map((p: Record<string, unknown>) => (p.type === 'commitStatus' ? { ...p, apiUrl: `${forge.url}/api/v3` } : p.type === 'slackNotifier' ? { ...p, notifySuccess: true } : p));
    if (file === 'jonkkins.json') {
      job.steps = [{ type: 'shell', script: `#!/bin/bash -eu\nln -s '${join(ROOT, 'node_modules')}' node_modules\nnpx tsc -p web\nnpx ava test/shared/cron.test.ts\n` }];
    } else {
      const build = job.steps.find((s: { type: string }) => s.type === 'dockerBuild');
      job.steps = [
        { type: 'shell', script: `cp /bin/busybox ci-image/busybox\nprintf 'FROM scratch\\nCOPY busybox /bin/busybox\\nCOPY package.json /opt/jonkkins/package.json\\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox test -s /opt/jonkkins/package.json && echo packaged-jonkkins"]\\n' > ci-image/Containerfile\ncp package.json ci-image/` },
        { ...build, context: 'ci-image', dockerfile: 'ci-image/Containerfile', repository: 'jonkkins/jonkkins', registry: { url: registry.url, credentialsId: 'jonkkins-registry' } },
        ...job.steps.filter((s: { type: string }) => s.type !== 'dockerBuild'),
      ];
      job.steps[0].script = `mkdir -p ci-image\n${job.steps[0].script}`;
    }
    await writeFile(join(docs, file), JSON.stringify(job));
  }
  const applied = await runJonkkins(['apply', docs, '--url', m.url, '--user', ADMIN.username], { JONKKINS_PASSWORD: ADMIN.password });
  t.is(applied.code, 0, applied.stderr);
  t.is(applied.stdout, 'created jonkkins-image\ncreated jonkkins\n2 created, 0 updated, 0 unchanged\n');

  // A push, and GitHub's webhook for it, signed.
  const sha = await repo.commit('Say hello from the self-build', { 'SELF-BUILD.md': 'Built by Jonkkins.\n' }, { name: 'Ada Lovelace', email: 'ada@example.org' });
  await repo.push();
  const payload = JSON.parse(githubPush({ owner: 'jonkkins', repo: 'jonkkins', ref: 'refs/heads/main', after: sha, pusher: 'ada' }));
  payload.repository = { ...payload.repository, html_url: url.replace(/\.git$/, ''), clone_url: url, url: url.replace(/\.git$/, '') };
  const body = JSON.stringify(payload);
  const unsigned = await call(m.url, 'POST', '/github-webhook/', { raw: body, headers: githubHeaders('push', body, 'a wrong secret') });
  t.is(unsigned.status, 403, 'a wrongly signed push starts nothing');
  const hook = await call(m.url, 'POST', '/github-webhook/', { raw: body, headers: githubHeaders('push', body, WEBHOOK_SECRET) });
  t.is(hook.status, 200, hook.text);

  const lastBuild = async (job: string) => (await call(m.url, 'GET', `/api/jobs/${job}`, { token: admin })).body.permalinks?.lastBuild ?? null;
  await until('jonkkins to start', async () => (await lastBuild('jonkkins')) !== null, 60_000, 100);
  const finished = async (job: string, number: number) => {
    let build: { result: string | null } = { result: null };
    await until(`${job} #${number} to finish`, async () => (build = (await call(m.url, 'GET', `/api/jobs/${job}/builds/${number}`, { token: admin })).body).result !== null, 300_000, 200);
    return build as Record<string, any>;
  };
  const consoleOf = async (job: string, number: number) => (await call(m.url, 'GET', `/api/jobs/${job}/builds/${number}/log`, { token: admin })).text;
  const ci = await finished('jonkkins', 1);
  const ciConsole = await consoleOf('jonkkins', 1);
  t.is(ci.result, 'SUCCESS', ciConsole);
  t.regex(ciConsole, /Started by GitHub push by ada/);
  t.true(ciConsole.includes(`Checking out Revision ${sha} (origin/main)`), ciConsole);
  t.regex(ciConsole, /\n\s*\d+ tests passed\n/, 'the test file ran');
  t.like(ci.revision, { commit: sha, branch: 'origin/main', url });
  t.regex(ciConsole, /First time build\. Skipping changelog\./, 'as the git plugin, a first build lists no changes');

  // GitHub heard pending, then success, on the pushed commit, with the build's URL.
  await until('two statuses', () => forge.statuses.length >= 2, 30_000, 50);
  t.deepEqual(forge.statuses.map((s) => [s.path, s.body.state, s.body.context]), [
    [`/api/v3/repos/jonkkins/jonkkins/statuses/${sha}`, 'pending', 'jonkkins/ci'],
    [`/api/v3/repos/jonkkins/jonkkins/statuses/${sha}`, 'success', 'jonkkins/ci'],
  ]);
  t.regex(forge.statuses[1]!.body.target_url!, /\/job\/jonkkins\/1\/$/);

  // Slack heard of the success in #jonkkins-ci: the job, the build, its link, and its (empty, first-build) changes.
  await until('a Slack message', () => slack.taken.length >= 1, 30_000, 50);
  const message = slack.taken[0]!;
  t.is(message.body.channel, '#jonkkins-ci');
  t.regex(message.body.text ?? '', /^jonkkins - #1 Success after .* \(<http:\/\/jonkkins\.test\/job\/jonkkins\/1\/\|Open>\)/);
  t.regex(message.body.text ?? '', /\nNo Changes\.$/, 'commitInfo: the first build has no change set');

  // The green build started jonkkins-image: built, pushed, and the registry serves it by its digest.
  await until('jonkkins-image to start', async () => (await lastBuild('jonkkins-image')) !== null, 60_000, 100);
  const image = await finished('jonkkins-image', 1);
  const imageConsole = await consoleOf('jonkkins-image', 1);
  t.is(image.result, 'SUCCESS', imageConsole);
  t.regex(imageConsole, /packaged-jonkkins/);
  t.false(imageConsole.includes(REGISTRY_USER.password));
  const pushed = image.dockerImages?.[0];
  t.regex(pushed?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
  t.true(imageConsole.includes(`pushed registry.example.com/jonkkins/jonkkins@${pushed.digest}`), 'DOCKER_IMAGE_DIGEST reached the later step');
  const served = await registry.manifest('jonkkins/jonkkins', pushed.digest);
  t.is(served.status, 200);
  t.is(served.bodyDigest, pushed.digest);
  t.is((await registry.manifest('jonkkins/jonkkins', 'latest')).digest, pushed.digest);
});
