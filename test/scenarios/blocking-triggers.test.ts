/**
 * "Trigger/call builds on other projects" build steps and parameterized triggers, as data
 * (chain-cases/*.json: the jobs, the one to trigger, and the expected result and console of each
 * build), run through the master, Redis and real agent processes: `main` (label main) runs the
 * cases; `solo` (label solo, 1 executor) is where a chain starves, and only the starving test uses it.
 * A waiting build holds its executor, so `main` has one for every job of every case: the cases run
 * side by side and none waits for an executor another holds.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { expectConsole, scenarioSystem } from '../helpers/scenario-agents.ts';

interface Expected {
  result: string;
  console: string[];
  notInConsole?: string[];
}
interface ChainCase {
  title: string;
  /** Created in order (label `main` unless they set one). */
  jobs: ({ name: string } & Record<string, unknown>)[];
  trigger: string;
  /** Abort `build` ("job#n") once the console of `whenConsoleOf` has `has`. */
  abort?: { build: string; whenConsoleOf: string; has: string };
  /** "job#n" → its result and console (patterns, in order). */
  expect: Record<string, Expected>;
  /** Jobs that must have no builds at the end. */
  neverBuilt?: string[];
  /** From the abort (or the trigger) to the last expected build's end. */
  withinMs?: number;
}

const CASES = fileURLToPath(new URL('./chain-cases/', import.meta.url));

const CASE_FILES = readdirSync(CASES).filter((f) => f.endsWith('.json')).sort();
/** The most jobs a case has (each may hold an executor while it waits). */
const JOBS_PER_CASE = 3;
const sys = scenarioSystem(test, [{ name: 'main', executors: JOBS_PER_CASE * CASE_FILES.length, labels: ['main'] }, { name: 'solo', executors: 1, labels: ['solo'] }]);

const ref = (jobAndNumber: string) => {
  const at = jobAndNumber.lastIndexOf('#');
  return `/api/jobs/${encodeURIComponent(jobAndNumber.slice(0, at))}/builds/${jobAndNumber.slice(at + 1)}`;
};
const build = async (jobAndNumber: string) => {
  const res = await call(sys.url, 'GET', ref(jobAndNumber), { token: sys.admin });
  return res.status === 200 ? res.body : null;
};
const consoleOf = async (jobAndNumber: string) => (await call(sys.url, 'GET', `${ref(jobAndNumber)}/log`, { token: sys.admin })).text;
const createJob = async (json: object) => {
  const res = await call(sys.url, 'POST', '/api/jobs', { token: sys.admin, json: { label: 'main', ...json } });
  if (res.status !== 201) throw new Error(res.text);
};

for (const file of CASE_FILES) {
  const c = JSON.parse(readFileSync(join(CASES, file), 'utf8')) as ChainCase;
  if (c.jobs.length > JOBS_PER_CASE) throw new Error(`${file}: more than ${JOBS_PER_CASE} jobs (raise JOBS_PER_CASE)`);
  test(c.title, async (t) => {
    for (const job of c.jobs) await createJob(job);
    t.is((await call(sys.url, 'POST', `/api/jobs/${c.trigger}/builds`, { token: sys.admin, json: {} })).status, 201);
    let from = Date.now();
    if (c.abort) {
      const { build: target, whenConsoleOf, has } = c.abort;
      await until(`${whenConsoleOf} to show "${has}"`, async () => (await build(whenConsoleOf)) !== null && (await consoleOf(whenConsoleOf)).includes(has), 30_000);
      from = Date.now();
      t.is((await call(sys.url, 'POST', `${ref(target)}/abort`, { token: sys.admin })).status, 202);
    }
    for (const name of Object.keys(c.expect)) await until(`${name} to finish`, async () => (await build(name))?.result != null, 60_000, 50);
    if (c.withinMs) t.true(Date.now() - from < c.withinMs, `took ${Date.now() - from} ms`);
    for (const [name, expected] of Object.entries(c.expect)) {
      const text = await consoleOf(name);
      t.is((await build(name)).result, expected.result, `${name}:\n${text}`);
      expectConsole(t, `${name}'s console`, text, expected.console, expected.notInConsole);
    }
    for (const job of c.neverBuilt ?? []) t.deepEqual((await call(sys.url, 'GET', `/api/jobs/${job}/builds`, { token: sys.admin })).body.builds, []);
  });
}

test('a build starved by a blocking chain says why: every executor that could run it waits for downstream builds', async (t) => {
  await createJob({ name: 'starved-b', label: 'solo', steps: [{ type: 'shell', script: 'true' }] });
  await createJob({ name: 'starved-a', label: 'solo', steps: [{ type: 'triggerBuilds', projects: 'starved-b', block: {} }] });
  t.is((await call(sys.url, 'POST', '/api/jobs/starved-a/builds', { token: sys.admin, json: {} })).status, 201);
  let why = '';
  await until('starved-b to wait in the queue', async () => {
    const item = (await call(sys.url, 'GET', '/api/queue', { token: sys.admin })).body.items.find((i: { job: string }) => i.job === 'starved-b');
    why = item?.why ?? '';
    return why.includes('downstream');
  }, 20_000);
  t.is(why, 'Waiting for next available executor on ‘solo’ (all executors are busy with builds waiting for downstream builds: starved-a #1)');
  // Aborting the waiting build frees the executor and cancels what it waited for.
  t.is((await call(sys.url, 'POST', '/api/jobs/starved-a/builds/1/abort', { token: sys.admin })).status, 202);
  await until('starved-a to end', async () => (await build('starved-a#1'))?.result === 'ABORTED', 20_000);
  await until('starved-b to leave the queue', async () => !(await call(sys.url, 'GET', '/api/queue', { token: sys.admin })).body.items.some((i: { job: string }) => i.job === 'starved-b'), 20_000);
  t.deepEqual((await call(sys.url, 'GET', '/api/jobs/starved-b/builds', { token: sys.admin })).body.builds, []);
});
