/**
 * The master's side of the dockerBuild step, spoken to as an agent over HTTP: an image report is
 * taken only from the agent session running the build, only for a pushing dockerBuild step of its
 * job and the image that step names, bounded and validated; a resend replaces. A step's registry
 * credential is one the job uses (in its spec, of the right kind). Agents that probed a container
 * CLI label themselves `docker` at login, and only with labels the master knows.
 */
import test from 'ava';
import { agentLogin, bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: string;
let other: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agent = await registeredAgentToken(m.url, admin, { name: 'builder', executors: 4 });
  other = await registeredAgentToken(m.url, admin, { name: 'bystander', executors: 4 });
});
test.after.always(() => m?.close());

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const steps = [
  { type: 'shell', script: 'true' },
  { type: 'dockerBuild', repository: 'team/app', tags: ['$BUILD_NUMBER', 'latest'], registry: { url: 'http://127.0.0.1:5000' } },
  { type: 'dockerBuild', repository: 'team/local', push: false },
];

/** A running build of a new job with `steps`, started by the agent `builder`: its id. */
async function running(name: string): Promise<number> {
  t_ok(await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, steps } }));
  const queued = await call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: {} });
  t_ok(await call(m.url, 'POST', `/api/agent/builds/${queued.body.queueId}/start`, { token: agent, json: { executor: 0 } }));
  return queued.body.queueId;
}
function t_ok(res: { status: number; text: string }) {
  if (res.status >= 300) throw new Error(`${res.status} ${res.text}`);
}
const report = (id: number, json: object, token = agent) => call(m.url, 'POST', `/api/agent/builds/${id}/docker-images`, { token, json });

test('the agent running the build reports a pushed image: it is on the build, and a resend replaces it', async (t) => {
  const id = await running('pushes');
  const first = await report(id, { step: 1, image: '127.0.0.1:5000/team/app', tags: ['1', 'latest'], digest: `sha256:${'0'.repeat(64)}` });
  t.is(first.status, 200, first.text);
  t.like(first.body, { step: 1, image: '127.0.0.1:5000/team/app', reference: `127.0.0.1:5000/team/app@sha256:${'0'.repeat(64)}` });
  t.is((await report(id, { step: 1, image: '127.0.0.1:5000/team/app', tags: ['1', 'latest'], digest: DIGEST })).status, 200);
  const build = await call(m.url, 'GET', '/api/jobs/pushes/builds/1', { token: admin });
  t.is(build.body.dockerImages.length, 1);
  t.like(build.body.dockerImages[0], { step: 1, image: '127.0.0.1:5000/team/app', tags: ['1', 'latest'], digest: DIGEST, reference: `127.0.0.1:5000/team/app@${DIGEST}` });
});

test('reports about what the build does not push, or from anyone else, are refused', async (t) => {
  const id = await running('refuses');
  const good = { step: 1, image: '127.0.0.1:5000/team/app', tags: ['1'], digest: DIGEST };
  const cases: [string, object, number, string?][] = [
    ['a shell step', { ...good, step: 0 }, 409],
    ['a step that does not push', { ...good, step: 2, image: 'team/local' }, 409],
    ['a step past the end', { ...good, step: 7 }, 409],
    ['another image', { ...good, image: '127.0.0.1:5000/team/other' }, 400, 'image'],
    ['more tags than the step has', { ...good, tags: ['1', '2', '3'] }, 400, 'tags'],
    ['a digest that is not one', { ...good, digest: 'sha256:xyz' }, 400, 'digest'],
    ['a tag that would be an option', { ...good, tags: ['--rm'] }, 400, 'tags.0'],
    ['an unknown field', { ...good, extra: 1 }, 400],
    ['a huge image name', { ...good, image: 'a'.repeat(10_000) }, 400, 'image'],
  ];
  for (const [what, body, status, field] of cases) {
    const res = await report(id, body);
    t.is(res.status, status, `${what}: ${res.text}`);
    if (field) t.true(res.body.error.details.some((d: { field: string }) => d.field === field), `${what}: ${res.text}`);
  }
  t.is((await report(id, good, other)).status, 403, 'another agent');
  t.is((await report(999_999, good)).status, 404);
  t.deepEqual((await call(m.url, 'GET', '/api/jobs/refuses/builds/1', { token: admin })).body.dockerImages, []);
  // Once finished, nothing more is taken.
  const spec = await call(m.url, 'POST', `/api/agent/builds/${id}/start`, { token: agent, json: { executor: 0 } });
  t_ok(await call(m.url, 'POST', `/api/agent/builds/${id}/finish`, { token: agent, json: { result: 'SUCCESS', logSize: spec.body.logOffset } }));
  t.is((await report(id, good)).status, 409);
});

test('an agent that probed a container CLI labels itself docker and runs docker jobs; unknown probed labels are refused', async (t) => {
  const registered = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'prober', executors: 1, labels: ['linux'] } });
  const refused = await call(m.url, 'POST', '/login-slave', { json: { ...agentLogin('prober', registered.body.secret), probedLabels: ['gpu'] } });
  t.is(refused.status, 400);
  const login = await call(m.url, 'POST', '/login-slave', { json: { ...agentLogin('prober', registered.body.secret), probedLabels: ['docker'] } });
  t.is(login.status, 200);
  const shown = await call(m.url, 'GET', '/api/agents/prober', { token: admin });
  t.like(shown.body, { labels: ['linux'], probedLabels: ['docker'] });
  t.deepEqual((await call(m.url, 'GET', '/api/agent/work-config', { token: login.text })).body.labels, ['linux', 'docker']);
  t_ok(await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'needs-docker', label: 'linux && docker', steps: [] } }));
  const queued = await call(m.url, 'POST', '/api/jobs/needs-docker/builds', { token: admin, json: {} });
  t.is((await call(m.url, 'POST', `/api/agent/builds/${queued.body.queueId}/start`, { token: agent, json: { executor: 1 } })).status, 409, 'builder lacks docker');
  t.is((await call(m.url, 'POST', `/api/agent/builds/${queued.body.queueId}/start`, { token: login.text, json: { executor: 0 } })).status, 200);
  // A later login without the probe (docker went away) drops the label.
  const again = await call(m.url, 'POST', '/login-slave', { json: agentLogin('prober', registered.body.secret) });
  t.is(again.status, 200);
  t.deepEqual((await call(m.url, 'GET', '/api/agents/prober', { token: admin })).body.probedLabels, []);
});

test('a dockerBuild step\'s registry credential is one its job uses: its spec carries it, masked; a credential of another kind fails the build at start', async (t) => {
  const add = (json: object) => call(m.url, 'POST', '/api/credentials', { token: admin, json });
  t.is((await add({ id: 'reg-login', kind: 'usernamePassword', username: 'ci', password: 'reg-pw-9' })).status, 201);
  t.is((await add({ id: 'reg-token', kind: 'secretText', secret: 'reg-token-8' })).status, 201);
  const withCredential = (name: string, credentialsId: string) =>
    call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, steps: [{ type: 'dockerBuild', repository: 'team/app', registry: { url: 'https://r.example', credentialsId } }] } });
  const start = async (name: string) => {
    const queued = await call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: {} });
    return call(m.url, 'POST', `/api/agent/builds/${queued.body.queueId}/start`, { token: agent, json: { executor: 2 } });
  };
  t_ok(await withCredential('logs-in', 'reg-login'));
  const spec = await start('logs-in');
  t.is(spec.status, 200, spec.text);
  t.deepEqual(spec.body.credentials, { 'reg-login': { kind: 'usernamePassword', username: 'ci', password: 'reg-pw-9' } });
  t.true(spec.body.masks.includes('reg-pw-9'));
  t_ok(await call(m.url, 'POST', `/api/agent/builds/${spec.body.buildId}/finish`, { token: agent, json: { result: 'SUCCESS', logSize: spec.body.logOffset } }));
  t_ok(await withCredential('wrong-kind', 'reg-token'));
  t.is((await start('wrong-kind')).status, 409);
  const text = (await call(m.url, 'GET', '/api/jobs/wrong-kind/builds/1/log', { token: admin })).text;
  t.is(text, "Started by user admin\nERROR: Credentials 'reg-token' is of type 'Secret text' where 'Username with password' was expected (steps[0].registry)\nFinished: FAILURE\n");
});
