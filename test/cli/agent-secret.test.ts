/**
 * No environment or command line a build step can read holds the agent's secret: a step reads
 * /proc/<agent pid>/{environ,cmdline} and those of the process that launched the agent, for
 * `jonkkins agent` given its secret every way it takes one, and for `jonkkins start`'s local agent.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { freePort, runShownCommand, spawnJonkkins, stopProcess, until } from '../helpers/processes.ts';
import { createTestDatabase, startTestMaster } from '../helpers/test-master.ts';

/** Copies what the step can read of its agent (its parent) and of the agent's launcher into the workspace. */
const SPY = `#!/bin/sh
agent=$PPID
launcher=$(sed 's/^.*) //' /proc/$agent/stat | cut -d' ' -f2)
cp /proc/$agent/environ agent.environ; cp /proc/$agent/cmdline agent.cmdline
cp /proc/$launcher/environ launcher.environ; cp /proc/$launcher/cmdline launcher.cmdline
echo "agent $agent launcher $launcher"`;
const FILES = ['agent.environ', 'agent.cmdline', 'launcher.environ', 'launcher.cmdline'];

async function spied(t: ExecutionContext, base: string, admin: string, workspace: string, output: () => string): Promise<Record<string, string>> {
  if ((await call(base, 'GET', '/api/jobs/spy', { token: admin })).status === 404) {
    t.is((await call(base, 'POST', '/api/jobs', { token: admin, json: { name: 'spy', steps: [{ type: 'shell', script: SPY }] } })).status, 201);
  }
  const { queueId } = (await call(base, 'POST', '/api/jobs/spy/builds', { token: admin, json: {} })).body;
  let build: any;
  await until('the spy build to finish', async () => {
    const n = (await call(base, 'GET', `/api/queue/${queueId}`, { token: admin })).body.build?.number;
    return n !== undefined && (build = (await call(base, 'GET', `/api/jobs/spy/builds/${n}`, { token: admin })).body).result !== null;
  }, 45_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${output()}`);
  });
  t.is(build.result, 'SUCCESS');
  return Object.fromEntries(await Promise.all(FILES.map(async (f) => [f, await readFile(join(workspace, 'spy', f), 'latin1')])));
}

const ways: Array<[string, (url: string, name: string, secret: string, workdir: string) => { stop(): Promise<unknown>; output(): string }]> = [
  ['the command the UI shows (a pipe into --secret-stdin)', (url, name, secret, workdir) => runShownCommand(`printf '%s\\n' '${secret}' | npx jonkkins agent --url '${url}' --name '${name}' --secret-stdin`, ['--workdir', workdir])],
  ['JONKKINS_AGENT_SECRET', (url, name, secret, workdir) => {
    const p = spawnJonkkins(['agent', '--url', url, '--name', name, '--workdir', workdir], { JONKKINS_AGENT_SECRET: secret });
    return { stop: () => stopProcess(p), output: () => p.output.stdout + p.output.stderr };
  }],
  ['--secret on the command line', (url, name, secret, workdir) => {
    const p = spawnJonkkins(['agent', '--url', url, '--name', name, '--secret', secret, '--workdir', workdir]);
    return { stop: () => stopProcess(p), output: () => p.output.stdout + p.output.stderr };
  }],
];

for (const [how, start] of ways) {
  test(`given its secret by ${how}, the agent's secret is in no environment or command line a step can read`, async (t) => {
    const m = await startTestMaster();
    t.teardown(() => m.close());
    const admin = await bootstrapAdmin(m.url);
    const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'spied', executors: 1 } });
    const workdir = await mkdtemp(join(tmpdir(), 'jk-spied-'));
    t.teardown(() => rm(workdir, { recursive: true, force: true }));
    const agent = start(m.url, 'spied', body.secret, workdir);
    t.teardown(() => agent.stop());
    const seen = await spied(t, m.url, admin, join(workdir, 'workspace'), agent.output);
    for (const [file, text] of Object.entries(seen)) t.false(text.includes(body.secret), `${file} holds the secret`);
    t.true(seen['agent.cmdline']!.includes('agent'), 'the step did read the agent');
  });
}

test("jonkkins start's local agent gets its secret through no environment or command line, nor the master's secrets", async (t) => {
  t.timeout(120_000);
  const home = await mkdtemp(join(tmpdir(), 'jk-home-'));
  const db = await createTestDatabase();
  t.teardown(async () => {
    await db.drop();
    await rm(home, { recursive: true, force: true });
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const signing = 'a-signing-secret-of-the-master-0123456789';
  const master = spawnJonkkins(['start', '--executors', '1'], { JONKKINS_HOME: home, PORT: String(port), DATABASE_URL: db.url, JONKKINS_SECRET: signing });
  t.teardown(() => stopProcess(master));
  await until('/healthz to answer 200', async () => (await call(base, 'GET', '/healthz')).status === 200, 60_000);
  const admin = await bootstrapAdmin(base);
  await until('the local agent to be online', async () => (await call(base, 'GET', '/api/agents/local', { token: admin })).body.online === true).catch((err: Error) => {
    throw new Error(`${err.message}\n${master.output.stdout}${master.output.stderr}`);
  });
  const seen = await spied(t, base, admin, join(home, 'agent', 'workspace'), () => master.output.stdout + master.output.stderr);
  // The test cannot know the fresh secret: neither its variable nor its flag may be there.
  for (const [file, text] of Object.entries(seen)) {
    t.false(/(^|\0)JONKKINS_AGENT_SECRET=/.test(text), `${file} has JONKKINS_AGENT_SECRET`);
    t.false(/(^|\0)--secret(\0|=)/.test(text), `${file} has --secret`);
  }
  for (const f of ['agent.environ', 'agent.cmdline']) {
    t.false(seen[f]!.includes(signing), `${f} holds the master's signing secret`);
    t.false(seen[f]!.includes(db.url), `${f} holds the master's DATABASE_URL`);
  }
});
