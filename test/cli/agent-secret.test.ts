/**
 * No environment or command line a build step can read holds the agent's secret: a step reads
 * /proc/<pid>/{environ,cmdline} of the agent, of what launched it and of everything above, for
 * `jonkkins agent` given its secret every way it takes one, and for `jonkkins start`'s local agent.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { freePort, runShownCommand, spawnJonkkins, stopProcess, until } from '../helpers/processes.ts';
import { createTestDatabase, startTestMaster } from '../helpers/test-master.ts';

/**
 * Copies what the step can read of each of its ancestors — the agent's step launcher, the agent,
 * whatever launched the agent, and on up — into the workspace as ancestor.<n>.{environ,cmdline}.
 */
const SPY = `#!/bin/sh
pid=$PPID; n=0
while [ "$pid" -gt 1 ] && [ $n -lt 8 ]; do
  cp /proc/$pid/environ ancestor.$n.environ; cp /proc/$pid/cmdline ancestor.$n.cmdline
  pid=$(sed 's/^.*) //' /proc/$pid/stat | cut -d' ' -f2); n=$((n + 1))
done
echo "read $n ancestors"`;

async function spied(t: ExecutionContext, base: string, admin: string, workspace: string, output: () => string): Promise<Record<string, string>> {
  if ((await call(base, 'GET', '/api/jobs/spy', { token: admin })).status === 404) {
    t.is((await call(base, 'POST', '/api/jobs', { token: admin, json: { name: 'spy', steps: [{ type: 'shell', script: SPY }] } })).status, 201);
  }
  const { queueId } = (await call(base, 'POST', '/api/jobs/spy/builds', { token: admin, json: {} })).body;
  let build: any;
  await until('the spy build to finish', async () => {
    const n = (await call(base, 'GET', `/api/queue/${queueId}`, { token: admin })).body.build?.number;
    return n !== undefined && (build = (await call(base, 'GET', `/api/jobs/spy/builds/${n}`, { token: admin })).body).result !== null;
  }, 90_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${output()}`);
  });
  t.is(build.result, 'SUCCESS');
  const files = (await readdir(join(workspace, 'spy'))).filter((f) => f.startsWith('ancestor.')).sort();
  return Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readFile(join(workspace, 'spy', f), 'latin1')])));
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

// Serial only to bound the load: each test has a master of its own and shares nothing, but starts
// agent processes (through npx, and `jonkkins start` a whole master), whose start-up on a loaded
// machine outlasts the 90 s the spy build is given when four run at once.
for (const [how, start] of ways) {
  test.serial(`given its secret by ${how}, the agent's secret is in no environment or command line a step can read`, async (t) => {
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
    t.true(Object.values(seen).some((text) => text.includes('\0agent\0')), 'the step did read the agent and what is above it');
  });
}

test.serial("jonkkins start's local agent gets its secret through no environment or command line, nor the master's secrets", async (t) => {
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
  const master = spawnJonkkins(['start', '--executors', '1'], { HOST: '127.0.0.1', JONKKINS_HOME: home, PORT: String(port), DATABASE_URL: db.url, JONKKINS_SECRET: signing });
  t.teardown(() => stopProcess(master));
  await until('/healthz to answer 200', async () => (await call(base, 'GET', '/healthz')).status === 200, 60_000);
  const admin = await bootstrapAdmin(base);
  await until('the local agent to be online', async () => (await call(base, 'GET', '/api/agents/local', { token: admin })).body.online === true, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${master.output.stdout}${master.output.stderr}`);
  });
  const seen = await spied(t, base, admin, join(home, 'agent', 'workspace'), () => master.output.stdout + master.output.stderr);
  // The test cannot know the fresh secret: neither its variable nor its flag may be there.
  for (const [file, text] of Object.entries(seen)) {
    t.false(/(^|\0)JONKKINS_AGENT_SECRET=/.test(text), `${file} has JONKKINS_AGENT_SECRET`);
    t.false(/(^|\0)--secret(\0|=)/.test(text), `${file} has --secret`);
  }
  // Below the master (the step launcher, the agent), not even the master's own secrets.
  const masterAt = Object.keys(seen).find((f) => f.endsWith('.cmdline') && seen[f]!.includes('\0start\0'))!;
  t.truthy(masterAt, 'the step did read up to the master');
  for (let n = 0; n < Number(masterAt.split('.')[1]); n++) {
    for (const part of ['environ', 'cmdline']) {
      t.false(seen[`ancestor.${n}.${part}`]!.includes(signing), `ancestor ${n} ${part} holds the master's signing secret`);
      t.false(seen[`ancestor.${n}.${part}`]!.includes(db.url), `ancestor ${n} ${part} holds the master's DATABASE_URL`);
    }
  }
});
