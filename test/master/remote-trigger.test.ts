import { randomUUID } from 'node:crypto';
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

/** A job of the calling test's own, triggered remotely with the token let-me-in-please; returns its name. */
async function deployJob(): Promise<string> {
  const name = `deploy-${randomUUID().slice(0, 8)}`;
  const res = await call(m.url, 'POST', '/api/jobs', {
    token: admin,
    json: { name, parameters: [{ type: 'string', name: 'ENV', default: 'dev' }], triggers: { remoteToken: 'let-me-in-please' } },
  });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${res.text}`);
  return name;
}

test('the right token starts a build without a login (POST and GET), with a remote-host cause', async (t) => {
  const deploy = await deployJob();
  const post = await call(m.url, 'POST', `/api/jobs/${deploy}/builds?token=let-me-in-please`, { json: { parameters: { ENV: 'prod' } } });
  t.is(post.status, 201);
  t.regex(post.headers.get('location') ?? '', /^\/api\/queue\/\d+$/);
  const item = await call(m.url, 'GET', `/api/queue/${post.body.queueId}`, { token: admin });
  t.like(item.body, { causes: ['Started by remote host 127.0.0.1'], parameters: { ENV: 'prod' } });
  const get = await call(m.url, 'GET', `/api/jobs/${deploy}/builds?token=let-me-in-please&ENV=staging`);
  t.is(get.status, 201);
  t.like((await call(m.url, 'GET', `/api/queue/${get.body.queueId}`, { token: admin })).body, { parameters: { ENV: 'staging' } });
});

test('a wrong or missing token is refused with 403, and builds nothing', async (t) => {
  const deploy = await deployJob();
  for (const path of [`/api/jobs/${deploy}/builds?token=wrong`, `/api/jobs/${deploy}/builds?token=`, `/api/jobs/${deploy}/builds?token=let-me-in-pleas`]) {
    const res = await call(m.url, 'POST', path);
    t.is(res.status, 403, path);
    t.is(res.body.error.message, 'Invalid token provided.');
  }
  t.is((await call(m.url, 'POST', `/api/jobs/${deploy}/builds`)).status, 401, 'no token, no login');
  t.is((await call(m.url, 'GET', `/api/jobs/${deploy}/builds`)).status, 401, 'the history still needs a login');
  // Queued or started, this job has no build (its own job: other tests' builds do not count).
  t.is(await m.pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM builds b JOIN jobs j ON j.id = b.job_id WHERE j.name = ${deploy}`), 0);
});

test('a job without a remote token cannot be triggered remotely', async (t) => {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'private' } });
  t.is((await call(m.url, 'POST', '/api/jobs/private/builds?token=anything-at-all')).status, 403);
});

test('the token is encrypted at rest and shown as ****; saving **** back keeps it', async (t) => {
  const deploy = await deployJob();
  const shown = await call(m.url, 'GET', `/api/jobs/${deploy}`, { token: admin });
  t.is(shown.body.triggers.remoteToken, '****');
  const stored = await m.pool.oneFirst(sql.type(z.object({ c: z.string() }))`SELECT config::text AS c FROM jobs WHERE name = ${deploy}`);
  t.false(stored.includes('let-me-in-please'));
  // The job document as the configure page sends it back: without the relations and permalinks shown with it.
  const { upstreamProjects, downstreamProjects, permalinks, ...document } = shown.body;
  t.true(Array.isArray(upstreamProjects) && Array.isArray(downstreamProjects) && typeof permalinks === 'object');
  t.is((await call(m.url, 'PUT', `/api/jobs/${deploy}`, { token: admin, json: document })).status, 200);
  t.is((await call(m.url, 'POST', `/api/jobs/${deploy}/builds?token=let-me-in-please`)).status, 201);
});
