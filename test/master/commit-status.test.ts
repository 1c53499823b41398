/**
 * The commit status publisher against local receivers that answer as GitHub, GitLab and Gitea
 * document their status APIs (paths, auth headers, bodies): pending when the build starts, the
 * result at its end, linking BUILD_URL, on the sha that caused the build; a master restart between
 * the end and the send loses nothing and sends once; a forge that refuses is reported in the
 * console and never changes the result.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster } from '../helpers/test-master.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, string>;
  answered: number;
}

/** A forge's status API: checks the documented auth header, records every request, answers `answer(req)` (default 201). */
async function forgeReceiver() {
  const received: Received[] = [];
  let answer = (_path: string): number | Promise<number> => 201;
  const AUTH: Record<string, (h: IncomingMessage['headers']) => boolean> = {
    '/gh/api/v3/': (h) => h.authorization === 'Bearer gh-token-secret' && h.accept === 'application/vnd.github+json',
    '/gl/api/v4/': (h) => h['private-token'] === 'gl-token-secret' && h.authorization === undefined,
    '/gt/api/v1/': (h) => h.authorization === 'token gt-token-secret',
  };
  const server: Server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const path = req.url ?? '';
    const prefix = Object.keys(AUTH).find((p) => path.startsWith(p));
    const status = req.method !== 'POST' || !prefix || !/^application\/json/.test(req.headers['content-type'] ?? '') ? 404 : !AUTH[prefix]!(req.headers) ? 401 : await answer(path);
    received.push({ path, headers: req.headers, body: JSON.parse(text || '{}'), answered: status });
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status < 300 ? { id: received.length, state: JSON.parse(text).state } : { message: 'no' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answerWith(f: (path: string) => number | Promise<number>) {
      answer = f;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const NOTIFY_TOKEN = 'notify-commit-access-token-2';

/** A master with a forge receiver, the forges' tokens, the notifyCommit token, and an agent of four executors. */
async function statusRig() {
  const forge = await forgeReceiver();
  const m = await startTestMaster({ outbox: { firstBackoffMs: 50, maxBackoffMs: 100, maxAttempts: 4 } }, { maintenance: { outboxEveryMs: 100 } });
  const admin = await bootstrapAdmin(m.url);
  for (const [id, secret] of [['gh-token', 'gh-token-secret'], ['gl-token', 'gl-token-secret'], ['gt-token', 'gt-token-secret'], ['bad-token', 'not-the-token']]) {
    await call(m.url, 'POST', '/api/credentials', { token: admin, json: { id, kind: 'secretText', secret } });
  }
  await call(m.url, 'PUT', '/api/settings/webhooks', { token: admin, json: { notifyCommitAccessToken: NOTIFY_TOKEN } });
  const agent = await registeredAgentToken(m.url, admin, { name: 'status-agent', executors: 4 });
  return {
    m,
    admin,
    agent,
    forge,
    /** A job of the test's own with the three publishers (or `publishers`), built for a fresh sha through notifyCommit. */
    async buildForCommit(name: string, publishers?: unknown[]): Promise<{ sha: string; buildId: number }> {
      const job = {
        name,
        scm: { type: 'git', url: `https://forge.example.com/octo/${name}.git`, branches: ['*/main'] },
        triggers: { pollScm: '' },
        publishers: publishers ?? [
          { type: 'commitStatus', forge: 'github', apiUrl: `${forge.url}/gh/api/v3`, credentialsId: 'gh-token', context: 'ci/jonkkins' },
          { type: 'commitStatus', forge: 'gitlab', apiUrl: `${forge.url}/gl/api/v4`, credentialsId: 'gl-token' },
          { type: 'commitStatus', forge: 'gitea', apiUrl: `${forge.url}/gt/api/v1`, credentialsId: 'gt-token' },
        ],
      };
      const created = await call(m.url, 'POST', '/api/jobs', { token: admin, json: job });
      if (created.status !== 201) throw new Error(created.text);
      const sha = randomBytes(20).toString('hex');
      const res = await call(m.url, 'GET', `/git/notifyCommit?url=${encodeURIComponent(job.scm.url)}&sha1=${sha}&token=${NOTIFY_TOKEN}`);
      if (res.text !== `Scheduled ${name}\n`) throw new Error(res.text);
      const queue = await call(m.url, 'GET', '/api/queue', { token: admin });
      return { sha, buildId: queue.body.items.find((i: { job: string }) => i.job === name).id };
    },
    /** Starts the build on `executor`: each test sharing the rig has an executor of its own. */
    async start(buildId: number, executor: number): Promise<number> {
      const res = await call(m.url, 'POST', `/api/agent/builds/${buildId}/start`, { token: agent, json: { executor } });
      if (res.status !== 200) throw new Error(`start: ${res.status} ${res.text}`);
      return res.body.logOffset;
    },
    async finish(buildId: number, logSize: number, result: string): Promise<void> {
      const res = await call(m.url, 'POST', `/api/agent/builds/${buildId}/finish`, { token: agent, json: { result, logSize } });
      if (res.status !== 200 && res.status !== 204) throw new Error(`finish: ${res.status} ${res.text}`);
    },
    statusesFor: (sha: string) => forge.received.filter((r) => r.path.endsWith(`/statuses/${sha}`)),
    async close() {
      await m.close();
      await forge.close();
    },
  };
}

/** The rig the tests share, each with a job, a sha and an executor of its own. */
let shared: Awaited<ReturnType<typeof statusRig>>;
test.before(async () => {
  shared = await statusRig();
});
test.after.always(() => shared?.close());

test('pending when the build starts, then success: each forge gets its path, auth header and body, on the build\'s sha, linking BUILD_URL', async (t) => {
  const { buildForCommit, start, finish, statusesFor } = shared;
  const { sha, buildId } = await buildForCommit('status-ok');
  const offset = await start(buildId, 0);
  await until('three pending statuses', () => statusesFor(sha).length === 3);
  t.deepEqual(statusesFor(sha).map((r) => [r.path, r.body.state, r.answered]).sort(), [
    [`/gh/api/v3/repos/octo/status-ok/statuses/${sha}`, 'pending', 201],
    [`/gl/api/v4/projects/octo%2Fstatus-ok/statuses/${sha}`, 'pending', 201],
    [`/gt/api/v1/repos/octo/status-ok/statuses/${sha}`, 'pending', 201],
  ]);
  await finish(buildId, offset, 'SUCCESS');
  await until('three final statuses', () => statusesFor(sha).length === 6);
  const url = 'http://jonkkins.test/job/status-ok/1/';
  const finals = statusesFor(sha).slice(3);
  t.like(finals.find((r) => r.path.startsWith('/gh/')), { answered: 201, body: { state: 'success', target_url: url, context: 'ci/jonkkins' } });
  t.like(finals.find((r) => r.path.startsWith('/gl/')), { answered: 201, body: { state: 'success', target_url: url, name: 'jenkins' } });
  t.like(finals.find((r) => r.path.startsWith('/gt/')), { answered: 201, body: { state: 'success', target_url: url, context: 'status-ok' } });
});

test('a failed build\'s status is failure (GitLab: failed)', async (t) => {
  const { buildForCommit, start, finish, statusesFor } = shared;
  const { sha, buildId } = await buildForCommit('status-red');
  await finish(buildId, await start(buildId, 1), 'FAILURE');
  await until('six statuses', () => statusesFor(sha).length === 6);
  const finals = statusesFor(sha).slice(3);
  t.deepEqual(finals.map((r) => `${r.path.slice(0, 4)}${r.body.state}`).sort(), ['/gh/failure', '/gl/failed', '/gt/failure']);
});

test('a master restart between the end and the send: the status is sent by the next master, once', async (t) => {
  // A master and forge of its own: it takes the master down and makes the forge hang.
  const own = await statusRig();
  t.teardown(() => own.close());
  const { m, forge, buildForCommit, start, finish, statusesFor } = own;
  const publishers = [{ type: 'commitStatus', forge: 'github', apiUrl: `${forge.url}/gh/api/v3`, credentialsId: 'gh-token' }];
  const { sha, buildId } = await buildForCommit('status-restart', publishers);
  const offset = await start(buildId, 0);
  await until('pending', () => statusesFor(sha).length === 1);
  // The forge is slow and then fails when the build ends; the master goes away meanwhile.
  let release!: (status: number) => void;
  let held = false;
  forge.answerWith(() => {
    held = true;
    return new Promise<number>((r) => (release = r));
  });
  await finish(buildId, offset, 'SUCCESS');
  await until('the final status on its way', () => held);
  const down = m.down();
  forge.answerWith(() => 201);
  release(503);
  await down;
  t.is(statusesFor(sha).length, 2, 'pending, and the final that failed');
  await m.up();
  await until('the final status, sent by the new master', () => statusesFor(sha).some((r) => r.body.state === 'success' && r.answered === 201));
  await m.services.outbox.drain();
  t.is(statusesFor(sha).filter((r) => r.body.state === 'success' && r.answered === 201).length, 1, 'delivered once');
  t.is(statusesFor(sha).filter((r) => r.body.state === 'success' && r.answered === 503).length, 1);
});

test('a forge that refuses the token: reported in the console once the build has ended, the result unchanged', async (t) => {
  const { m, admin, forge, buildForCommit, start, finish, statusesFor } = shared;
  const publishers = [{ type: 'commitStatus', forge: 'github', apiUrl: `${forge.url}/gh/api/v3`, credentialsId: 'bad-token', context: 'ci/refused' }];
  const { sha, buildId } = await buildForCommit('status-refused', publishers);
  await finish(buildId, await start(buildId, 2), 'SUCCESS');
  await until('both attempts', () => statusesFor(sha).length === 2);
  let text = '';
  await until('the console note', async () => /\[commit status\] GitHub 'ci\/refused' SUCCESS on [0-9a-f]{40} not set: .*answered 401/.test((text = (await call(m.url, 'GET', '/api/jobs/status-refused/builds/1/log', { token: admin })).text)));
  t.true(text.indexOf('Finished: SUCCESS') < text.indexOf('[commit status]'));
  t.is((await call(m.url, 'GET', '/api/jobs/status-refused/builds/1', { token: admin })).body.result, 'SUCCESS');
  t.is(statusesFor(sha).length, 2, 'a 401 is not retried');
});

test('a build started by a person: pending once its checkout names the commit, the final status on that commit', async (t) => {
  const { m, admin, agent, forge, start, finish, statusesFor } = shared;
  const name = 'status-manual';
  const url = `https://forge.example.com/octo/${name}.git`;
  const publishers = [{ type: 'commitStatus', forge: 'gitea', apiUrl: `${forge.url}/gt/api/v1`, credentialsId: 'gt-token' }];
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, scm: { type: 'git', url }, publishers } });
  const { body } = await call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: {} });
  const offset = await start(body.queueId, 3);
  const before = forge.received.filter((r) => r.path.includes(`/${name}/`)).length;
  t.is(before, 0, 'no commit known at the start: no pending status yet');
  const sha = randomBytes(20).toString('hex');
  const checkout = await call(m.url, 'POST', `/api/agent/builds/${body.queueId}/checkout`, { token: agent, json: { commit: sha, branch: 'origin/main', url, changes: [] } });
  t.is(checkout.status, 204, checkout.text);
  await until('the pending status', () => statusesFor(sha).length === 1);
  t.like(statusesFor(sha)[0], { path: `/gt/api/v1/repos/octo/${name}/statuses/${sha}`, body: { state: 'pending', target_url: `http://jonkkins.test/job/${name}/1/` } });
  await call(m.url, 'POST', `/api/agent/builds/${body.queueId}/checkout`, { token: agent, json: { commit: sha, branch: 'origin/main', url, changes: [] } });
  await finish(body.queueId, offset, 'SUCCESS');
  await until('the final status', () => statusesFor(sha).length >= 2);
  await m.services.outbox.drain();
  t.deepEqual(statusesFor(sha).map((r) => r.body.state), ['pending', 'success'], 'a resent checkout report sends no second pending');
});
