/**
 * The protocol version is part of the login: an agent states it, the master refuses one it does
 * not speak (before the credentials, so the agent is never marked online) with a message the
 * agent prints, and records what each logged-in agent stated for Manage → Nodes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { PROTOCOL_VERSION } from '../../shared/src/agent-protocol.ts';
import { CredentialsRefusedError, startAgent } from '../../worker/src/agent.ts';
import { agentLogin, bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

const register = async (name: string): Promise<string> => (await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: 1 } })).body.secret;
const agentInfo = async (name: string) => (await call(m.url, 'GET', `/api/agents/${name}`, { token: admin })).body;
const packageVersion = async () => JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version as string;

test('a login stating another protocol version is a 400 saying both versions, and the agent stays offline', async (t) => {
  const secret = await register('old-agent');
  const res = await call(m.url, 'POST', '/login-slave', { json: { ...agentLogin('old-agent', secret), protocolVersion: PROTOCOL_VERSION - 1 } });
  t.is(res.status, 400);
  t.is(res.body.error.code, 'unsupported_protocol');
  t.is(res.body.error.message, `this agent speaks agent protocol version ${PROTOCOL_VERSION - 1}, this master speaks version ${PROTOCOL_VERSION}: run the same Jonkkins version on the agent as on the master`);
  t.is(res.headers.get('authorization'), null);
  const info = await agentInfo('old-agent');
  t.false(info.online);
  t.is(info.protocolVersion, null);
});

test('an agent from before protocol versions (it states none) is refused as version 3', async (t) => {
  const secret = await register('ancient-agent');
  const res = await call(m.url, 'POST', '/login-slave', { json: { name: 'ancient-agent', secret } });
  t.is(res.status, 400);
  t.is(res.body.error.code, 'unsupported_protocol');
  t.regex(res.body.error.message, new RegExp(`speaks agent protocol version 3, this master speaks version ${PROTOCOL_VERSION}`));
});

test('a real agent speaking an older protocol ends with the master\'s message instead of retrying', async (t) => {
  const secret = await register('refused-agent');
  const workdir = await mkdtemp(join(tmpdir(), 'jk-agent-'));
  t.teardown(() => rm(workdir, { recursive: true, force: true }));
  const logs: string[] = [];
  const log = { info: (s: string) => logs.push(s), warn: (s: string) => logs.push(s), error: (s: string) => logs.push(s) };
  const agent = startAgent({ url: m.url, name: 'refused-agent', secret, workdir, log, protocolVersion: 2 });
  t.teardown(() => agent.stop());
  const err = await t.throwsAsync(agent.done, { instanceOf: CredentialsRefusedError });
  // bin/cli.ts prints this message and exits 1 (test/cli/agent-process.test.ts covers that path).
  t.is(err?.message, `agent refused-agent: login: this agent speaks agent protocol version 2, this master speaks version ${PROTOCOL_VERSION}: run the same Jonkkins version on the agent as on the master`);
  t.deepEqual(logs.filter((l) => /retrying/.test(l)), []);
});

test('a real agent states its protocol and software version, and GET /api/agents shows them', async (t) => {
  const secret = await register('current-agent');
  t.like(await agentInfo('current-agent'), { protocolVersion: null, agentVersion: null });
  const workdir = await mkdtemp(join(tmpdir(), 'jk-agent-'));
  t.teardown(() => rm(workdir, { recursive: true, force: true }));
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };
  const agent = startAgent({ url: m.url, name: 'current-agent', secret, workdir, log: quiet });
  t.teardown(() => agent.stop());
  await agent.ready;
  await until('the agent to be online', async () => (await agentInfo('current-agent')).online === true);
  t.like(await agentInfo('current-agent'), { protocolVersion: PROTOCOL_VERSION, agentVersion: await packageVersion() });
  const listed = (await call(m.url, 'GET', '/api/agents', { token: admin })).body.agents.find((a: { name: string }) => a.name === 'current-agent');
  t.like(listed, { protocolVersion: PROTOCOL_VERSION, agentVersion: await packageVersion() });
});

test('an agentVersion that is not a short printable word is a 400 naming the field', async (t) => {
  const secret = await register('odd-version');
  const res = await call(m.url, 'POST', '/login-slave', { json: { ...agentLogin('odd-version', secret), agentVersion: '1.0\n<script>' } });
  t.is(res.status, 400);
  t.is(res.body.error.details[0].field, 'agentVersion');
});

test("the README's login walkthrough states the version this master speaks", async (t) => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const stated = [...readme.matchAll(/\\?"protocolVersion\\?":\s*(\d+)/g)].map((m) => Number(m[1]));
  t.true(stated.length > 0, 'the README shows an agent login');
  t.deepEqual(stated, stated.map(() => PROTOCOL_VERSION));
});
