/**
 * Scenario tests stored as data (cases/*.json: a job document, parameters, the expected result
 * and console), each run through the master, Redis and two real agent processes:
 * alpha (labels linux, python) and beta (label windows).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { spawnJonkkins, stopProcess, until, type JonkkinsProcess } from '../helpers/processes.ts';
import { expectConsole } from '../helpers/scenario-agents.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

interface Scenario {
  title: string;
  job: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  /** Files attached to the job (path → text) before it is triggered. */
  jobFiles?: Record<string, string>;
  /** Files for file parameters (sent as a multipart trigger). */
  files?: Record<string, { name: string; base64: string }>;
  /** Abort the build once its console contains this text. */
  abortWhenConsoleHas?: string;
  expect: { result: string; console: string[]; notInConsole?: string[]; agent?: string; withinMs?: number };
}

const CASES = fileURLToPath(new URL('./cases/', import.meta.url));
const AGENTS = { alpha: ['linux', 'python'], beta: ['windows'] };

let m: TestMaster;
let admin: string;
const processes: JonkkinsProcess[] = [];

test.before(async () => {
  m = await startTestMaster({}, { maintenance: { sweepEveryMs: 500, watchdogEveryMs: 500 } });
  admin = await bootstrapAdmin(m.url);
  for (const [name, labels] of Object.entries(AGENTS)) {
    const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: 2, labels } });
    const workdir = await mkdtemp(join(tmpdir(), `jk-${name}-`));
    processes.push(spawnJonkkins(['agent', '--url', m.url, '--name', name, '--workdir', workdir], { JONKKINS_AGENT_SECRET: body.secret }));
  }
  await until('both agents online', async () => (await call(m.url, 'GET', '/api/agents', { token: admin })).body.agents.every((a: { online: boolean }) => a.online), 20_000);
});
test.after.always(async () => {
  await Promise.all(processes.map((p) => stopProcess(p)));
  await m?.close();
});

async function triggerMultipart(job: string, scenario: Scenario) {
  const form = new FormData();
  for (const [name, value] of Object.entries(scenario.parameters ?? {})) form.append(name, String(value));
  for (const [name, file] of Object.entries(scenario.files ?? {})) form.append(name, new Blob([Buffer.from(file.base64, 'base64')]), file.name);
  const res = await fetch(`${m.url}/api/jobs/${job}/builds`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
  return { status: res.status, body: (await res.json()) as { queueId: number }, text: '' };
}

const consoleOf = async (job: string, n: number) => (await call(m.url, 'GET', `/api/jobs/${encodeURIComponent(job)}/builds/${n}/log`, { token: admin })).text;

// ava wants every test declared synchronously: read the cases without awaiting.
for (const file of readdirSync(CASES).filter((f) => f.endsWith('.json')).sort()) {
  const scenario = JSON.parse(readFileSync(join(CASES, file), 'utf8')) as Scenario;
  test(scenario.title, async (t) => {
    const job = `scn-${basename(file, '.json')}`;
    const created = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: job, ...scenario.job } });
    t.is(created.status, 201, created.text);
    for (const [path, text] of Object.entries(scenario.jobFiles ?? {})) {
      const put = await fetch(`${m.url}/api/jobs/${job}/files/${path}`, { method: 'PUT', headers: { authorization: `Bearer ${admin}` }, body: text });
      t.is(put.status, 201);
    }
    const triggered = scenario.files ? await triggerMultipart(job, scenario) : await call(m.url, 'POST', `/api/jobs/${job}/builds`, { token: admin, json: { parameters: scenario.parameters ?? {} } });
    t.is(triggered.status, 201, triggered.text);
    let number = 0;
    await until('the build to start', async () => {
      number = (await call(m.url, 'GET', `/api/queue/${triggered.body.queueId}`, { token: admin })).body.build?.number ?? 0;
      return number > 0;
    }, 20_000);
    let abortedAt = 0;
    if (scenario.abortWhenConsoleHas) {
      await until('the console to show the abort point', async () => (await consoleOf(job, number)).includes(scenario.abortWhenConsoleHas!), 20_000);
      abortedAt = Date.now();
      t.is((await call(m.url, 'POST', `/api/jobs/${job}/builds/${number}/abort`, { token: admin })).status, 202);
    }
    const started = Date.now();
    await until('the build to finish', async () => (await call(m.url, 'GET', `/api/jobs/${job}/builds/${number}`, { token: admin })).body.result !== null, 60_000, 50);
    if (scenario.expect.withinMs) t.true(Date.now() - (abortedAt || started) < scenario.expect.withinMs, `took ${Date.now() - (abortedAt || started)} ms`);

    const build = (await call(m.url, 'GET', `/api/jobs/${job}/builds/${number}`, { token: admin })).body;
    const text = await consoleOf(job, number);
    t.is(build.result, scenario.expect.result, text);
    if (scenario.expect.agent) t.is(build.agent, scenario.expect.agent);
    expectConsole(t, 'console', text, scenario.expect.console, scenario.expect.notInConsole);
  });
}
