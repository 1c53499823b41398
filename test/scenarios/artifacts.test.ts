/**
 * Artifacts through the master, Redis and two real agent processes: a job on one agent archives
 * files (a binary of a few MB among them; a symlink out of the workspace is refused), and a job on
 * the other agent copies some of them into its workspace and prints their checksums.
 */
import test from 'ava';
import { call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { scenarioSystem } from '../helpers/scenario-agents.ts';

const sys = scenarioSystem(test, ['maker', 'taker'].map((name) => ({ name, executors: 2, labels: [name] })));

const createJob = async (json: object) => {
  const res = await call(sys.url, 'POST', '/api/jobs', { token: sys.admin, json });
  if (res.status !== 201) throw new Error(res.text);
};
const build = (job: string, n: number | string) => call(sys.url, 'GET', `/api/jobs/${job}/builds/${n}`, { token: sys.admin }).then((r) => r.body);
const consoleOf = (job: string, n: number) => call(sys.url, 'GET', `/api/jobs/${job}/builds/${n}/log`, { token: sys.admin }).then((r) => r.text);
async function runBuild(job: string): Promise<{ build: any; console: string }> {
  const { body } = await call(sys.url, 'POST', `/api/jobs/${job}/builds`, { token: sys.admin, json: {} });
  let number = 0;
  await until(`${job} to start`, async () => {
    number = (await call(sys.url, 'GET', `/api/queue/${body.queueId}`, { token: sys.admin })).body.build?.number ?? 0;
    return number > 0;
  }, 30_000);
  await until(`${job} #${number} to finish`, async () => (await build(job, number)).result != null, 60_000, 50);
  return { build: await build(job, number), console: await consoleOf(job, number) };
}
/** A job of the test's own that archives dist/notes.txt ("release notes"), built once: its name. */
async function builtSource(name: string): Promise<string> {
  await createJob({ name, steps: [{ type: 'shell', script: '#!/bin/sh -e\nmkdir -p dist\necho "release notes" > dist/notes.txt' }], publishers: [{ type: 'archiveArtifacts', artifacts: 'dist/*.txt' }] });
  const made = await runBuild(name);
  if (made.build.result !== 'SUCCESS') throw new Error(made.console);
  return name;
}

/** `sha256sum` lines of a console: path → checksum. */
const checksums = (text: string) => Object.fromEntries([...text.matchAll(/^([0-9a-f]{64}) {2}(\S+)$/gm)].map((x) => [x[2]!, x[1]!]));

test('one job archives dist/**/*.txt (not dist/tmp, not a symlink out), another copies some on another agent: same bytes', async (t) => {
  await createJob({
    name: 'maker',
    label: 'maker',
    env: { OUT: 'dist' },
    steps: [
      {
        type: 'shell',
        script: [
          '#!/bin/sh -e',
          'rm -rf dist && mkdir -p dist/docs dist/tmp dist/bin',
          'echo "release notes" > dist/notes.txt',
          'echo "the guide" > dist/docs/guide.txt',
          'echo "scratch" > dist/tmp/scratch.txt',
          'echo "not an artifact" > dist/build.log',
          'head -c 3000000 /dev/urandom > dist/bin/blob.txt',
          'ln -s /etc/hostname dist/evil.txt',
          'sha256sum dist/notes.txt dist/docs/guide.txt dist/bin/blob.txt',
        ].join('\n'),
      },
    ],
    publishers: [{ type: 'archiveArtifacts', artifacts: '${OUT}/**/*.txt', excludes: '$OUT/tmp/**' }],
  });
  const made = await runBuild('maker');
  t.is(made.build.result, 'SUCCESS', made.console);
  t.is(made.build.agent, 'maker');
  t.regex(made.console, /Archiving artifacts\nWARNING: skipping ‘dist\/evil\.txt’: a symbolic link that leads out of the workspace\nFinished: SUCCESS\n$/);
  const sums = checksums(made.console);
  t.deepEqual(Object.keys(sums).sort(), ['dist/bin/blob.txt', 'dist/docs/guide.txt', 'dist/notes.txt']);
  t.deepEqual(
    made.build.artifacts.map((a: { path: string; sha256: string }) => [a.path, a.sha256]),
    [['dist/bin/blob.txt', sums['dist/bin/blob.txt']], ['dist/docs/guide.txt', sums['dist/docs/guide.txt']], ['dist/notes.txt', sums['dist/notes.txt']]],
  );
  t.is(made.build.artifacts[0].size, 3_000_000);

  await createJob({
    name: 'taker',
    label: 'taker',
    steps: [
      { type: 'copyArtifacts', project: 'maker', selector: 'lastSuccessful', filter: 'dist/bin/**, **/guide.txt', target: 'inputs/from-maker' },
      { type: 'shell', script: '#!/bin/sh -e\ncd inputs/from-maker\nfind . -type f | sort\nsha256sum dist/bin/blob.txt dist/docs/guide.txt' },
    ],
  });
  const taken = await runBuild('taker');
  t.is(taken.build.result, 'SUCCESS', taken.console);
  t.is(taken.build.agent, 'taker');
  t.regex(taken.console, /Copied 2 artifacts from "maker" build number 1\n/);
  t.regex(taken.console, /\n\.\/dist\/bin\/blob\.txt\n\.\/dist\/docs\/guide\.txt\n/, 'only the filtered files, under the target');
  t.deepEqual(checksums(taken.console), { 'dist/bin/blob.txt': sums['dist/bin/blob.txt'], 'dist/docs/guide.txt': sums['dist/docs/guide.txt'] });

  // The zip of the build holds the same three files.
  const zip = await fetch(`${sys.url}/api/jobs/maker/builds/1/artifacts.zip`, { headers: { authorization: `Bearer ${sys.admin}` } });
  t.is(zip.status, 200);
  t.true((await zip.arrayBuffer()).byteLength > 3_000_000 * 0.9);
});

test('copyArtifacts by build number; a filter that matches nothing fails the step', async (t) => {
  const source = await builtSource('notes-for-picky');
  await createJob({
    name: 'picky',
    steps: [
      { type: 'copyArtifacts', project: source, selector: 1, filter: 'dist/notes.txt' },
      { type: 'shell', script: 'cat dist/notes.txt' },
      { type: 'copyArtifacts', project: source, selector: 1, filter: '*.zip' },
      { type: 'shell', script: 'echo not-reached' },
    ],
  });
  const run = await runBuild('picky');
  t.is(run.build.result, 'FAILURE');
  t.regex(run.console, /Copied 1 artifact from "notes-for-picky" build number 1\n/);
  t.regex(run.console, /\nrelease notes\n/);
  t.regex(run.console, /ERROR: Failed to copy artifacts from notes-for-picky with filter: \*\.zip\nBuild step 'Copy artifacts from another project' marked build as failure\n/);
  t.false(run.console.includes('not-reached'));
});

test('copyArtifacts refuses a target that leaves the workspace', async (t) => {
  const source = await builtSource('notes-for-escaper');
  await createJob({ name: 'escaper', steps: [{ type: 'copyArtifacts', project: source, selector: 'lastSuccessful', target: '../outside' }] });
  const run = await runBuild('escaper');
  t.is(run.build.result, 'FAILURE');
  t.regex(run.console, /ERROR: Invalid target directory "\.\.\/outside": must not contain \. or \.\. segments\n/);
});
