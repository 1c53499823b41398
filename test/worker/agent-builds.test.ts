/**
 * The agent running builds end to end: startAgent against a stand-in master (fake-master.ts) on
 * real HTTP, with real Redis queues and real step processes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { startAgent, type RunningAgent } from '../../worker/src/agent.ts';
import { FakeMaster, type FakeBuild } from './fake-master.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = `agent-secret-${randomUUID()}`;

interface Setup {
  master: FakeMaster;
  agent: RunningAgent;
  workdir: string;
  logs: string[];
}

async function setup(t: ExecutionContext, agentOpts: { labels?: string[]; executors?: number; queues?: Array<{ name: string; expression: string }> } = {}): Promise<Setup> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `jk-test:${randomUUID()}`;
  const master = new FakeMaster({ redis, redisUrl: REDIS_URL, prefix, agent: { name: 'a1', secret: SECRET, ...agentOpts }, queues: agentOpts.queues });
  await master.listen();
  const workdir = await mkdtemp(join(tmpdir(), 'jk-agent-'));
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(`info: ${m}`), warn: (m: string) => logs.push(`warn: ${m}`), error: (m: string) => logs.push(`error: ${m}`) };
  const agent = startAgent({ url: master.url, name: 'a1', secret: SECRET, workdir, log, workConfigRefreshMs: 200, stopGraceMs: 3000, killGraceMs: 500 });
  t.teardown(async () => {
    await agent.stop();
    await master.close().catch(() => {});
    await master.closeQueues();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await rm(workdir, { recursive: true, force: true });
  });
  await agent.ready;
  return { master, agent, workdir, logs };
}

async function finished(b: FakeBuild, timeoutMs = 15_000): Promise<FakeBuild> {
  for (const end = Date.now() + timeoutMs; b.state !== 'finished'; await sleep(10)) {
    if (Date.now() > end) throw new Error(`build ${b.id} did not finish (state ${b.state}); console so far:\n${b.console}`);
  }
  return b;
}

const text = (b: FakeBuild) => b.console.toString('utf8');

test('a build runs its steps in its workspace; console, environment and result as in Jenkins', async (t) => {
  const { master, workdir } = await setup(t, { labels: ['linux', 'docker'] });
  const b = await finished(
    await master.trigger({
      jobName: 'hello',
      env: { BUILD_NUMBER: '1', GREETING: 'hi there' },
      steps: [
        { type: 'shell', script: 'echo "$GREETING from $NODE_NAME"\npwd' },
        { type: 'shell', script: '#!/bin/sh\necho "ws=$WORKSPACE tmp=$WORKSPACE_TMP labels=$NODE_LABELS exec=$EXECUTOR_NUMBER"\necho "secret=${JONKKINS_AGENT_SECRET:-none} cookie=${JONKKINS_AGENT_COOKIE:+set}"' },
      ],
    }),
  );
  const ws = join(workdir, 'workspace', 'hello');
  t.is(b.result, 'SUCCESS');
  const lines = text(b).split('\n');
  t.is(lines[0], 'Started by user admin');
  t.is(lines[1], `Running on a1 in ${ws}`);
  t.regex(lines[2]!, new RegExp(`^\\[hello\\] \\$ /bin/sh -xe ${workdir}/tmp/step-\\w+/jonkkins\\d+\\.sh$`));
  // `+ …` traces come on stderr, output on stdout: two pipes, so their relative order is not kept.
  t.deepEqual(lines.slice(3, 7).sort(), ['+ echo hi there from a1', '+ pwd', 'hi there from a1', ws].sort());
  t.regex(lines[7]!, new RegExp(`^\\[hello\\] \\$ /bin/sh ${workdir}/tmp/step-\\w+/jonkkins\\d+\\.sh$`));
  t.is(lines[8], `ws=${ws} tmp=${ws}@tmp labels=linux docker a1 exec=${b.executor}`);
  t.is(lines[9], 'secret=none cookie=set');
  t.deepEqual(lines.slice(10), ['Finished: SUCCESS', '']);
  t.deepEqual(await readdir(join(workdir, 'tmp')), []); // script files and step directories are gone
});

test('a failing step fails the build and skips the rest; unstableReturn makes it UNSTABLE and continues', async (t) => {
  const { master } = await setup(t);
  const failed = await master.trigger({ steps: [{ type: 'shell', script: 'echo one\nfalse\necho not here' }, { type: 'shell', script: 'echo never' }] });
  const unstable = await master.trigger({
    jobName: 'unstable',
    steps: [
      { type: 'shell', script: 'exit 3', unstableReturn: 3 },
      { type: 'shell', script: 'echo still running' },
      { type: 'shell', script: 'exit 4', unstableReturn: 3 },
      { type: 'shell', script: 'echo skipped' },
    ],
  });
  await finished(failed);
  t.is(failed.result, 'FAILURE');
  t.true(text(failed).endsWith("\nBuild step 'Execute shell' marked build as failure\nFinished: FAILURE\n"));
  t.regex(text(failed), /^one$/m);
  t.regex(text(failed), /^\+ false$/m);
  t.notRegex(text(failed), /never|not here/);
  await finished(unstable);
  t.is(unstable.result, 'FAILURE');
  t.regex(text(unstable), /\+ exit 3\n\[unstable\] \$ .*\n(\+ echo still running\nstill running|still running\n\+ echo still running)\n\[unstable\] \$ .*\n\+ exit 4\nBuild step 'Execute shell' marked build as failure\nFinished: FAILURE\n$/);
  t.notRegex(text(unstable), /skipped/);
  const justUnstable = await finished(await master.trigger({ jobName: 'u2', steps: [{ type: 'shell', script: 'exit 2', unstableReturn: 2 }, { type: 'shell', script: 'true' }] }));
  t.is(justUnstable.result, 'UNSTABLE');
});

test('a bad #! line is a launch failure: FAILURE with the reason', async (t) => {
  const { master } = await setup(t);
  const b = await finished(await master.trigger({ steps: [{ type: 'shell', script: '#!/no/such/interpreter\necho x' }] }));
  t.is(b.result, 'FAILURE');
  t.regex(text(b), /\[job\] \$ \/no\/such\/interpreter .*jonkkins\d+\.sh\ncommand execution failed: Cannot run program "\/no\/such\/interpreter".*\nBuild step 'Execute shell' marked build as failure\nFinished: FAILURE\n$/);
});

test('secrets are masked before they leave the agent, also split across output chunks', async (t) => {
  const { master } = await setup(t);
  const b = await finished(
    await master.trigger({
      masks: ['s3cr3t-value', ''],
      env: { PASSWORD: 's3cr3t-value' },
      steps: [{ type: 'shell', script: "#!/bin/sh\necho \"pw=$PASSWORD\"\nprintf 's3cr3t'; sleep 0.3; printf -- '-value\\n'\necho \"agent=$X\"" }],
    }),
  );
  t.is(b.result, 'SUCCESS');
  t.notRegex(text(b), /s3cr3t/);
  t.regex(text(b), /pw=\*\*\*\*\n\*\*\*\*\nagent=\n/);
});

test('binary output reaches the console byte for byte', async (t) => {
  const { master } = await setup(t);
  const b = await finished(await master.trigger({ steps: [{ type: 'shell', script: "#!/bin/sh\nprintf 'A\\377\\000\\376\\303\\050B\\n'" }] }));
  const expected = Buffer.from([0x41, 0xff, 0x00, 0xfe, 0xc3, 0x28, 0x42, 0x0a]);
  t.true(b.console.includes(expected), b.console.toString('hex'));
});

test('a large output arrives complete, in batches of at most LOG_BATCH_BYTES', async (t) => {
  const { master } = await setup(t);
  // 6 MB of numbered lines, fast.
  const b = await finished(await master.trigger({ steps: [{ type: 'shell', script: '#!/bin/sh\nseq 1 800000' }] }), 60_000);
  const body = text(b).split('\n').slice(3, -2);
  t.is(body.length, 800000);
  t.is(body[0], '1');
  t.is(body[799_999], '800000');
  t.true(b.logPosts.every((n) => n <= 1024 * 1024));
  t.true(b.logPosts.length >= 6);
});

test('abort from the master kills the step and the build ends ABORTED', async (t) => {
  const { master } = await setup(t);
  const b = await master.trigger({ steps: [{ type: 'shell', script: 'echo started\nsleep 30\necho not here' }, { type: 'shell', script: 'echo never' }] });
  while (!text(b).includes('started\n')) await sleep(10);
  const at = Date.now();
  b.abort = true; // the next ping answers abort
  await finished(b);
  t.true(Date.now() - at < 8000, `took ${Date.now() - at} ms`); // not the 30 s of the sleep (≈0.5 s when the machine is idle)
  t.is(b.result, 'ABORTED');
  t.regex(text(b), /\+ sleep 30\nBuild was aborted\nFinished: ABORTED\n$/);
  t.true(b.pings > 0);
});

test('a quiet build pings the master every BUILD_PING_MS', async (t) => {
  const { master } = await setup(t);
  const b = await finished(await master.trigger({ steps: [{ type: 'shell', script: 'sleep 1.6' }] }));
  t.is(b.result, 'SUCCESS');
  t.true(b.pings >= 2 && b.pings <= 5, `${b.pings} pings`);
});

test('409 on start: the queue job is dropped and nothing runs', async (t) => {
  const { master, workdir } = await setup(t);
  const b = await master.trigger({ jobName: 'cancelled', steps: [{ type: 'shell', script: 'touch "$WORKSPACE/ran"' }] }, 'any', 300);
  b.state = 'cancelled';
  await sleep(1000);
  t.true(master.requests.includes(`POST /api/agent/builds/${b.id}/start`));
  t.false(master.requests.includes(`POST /api/agent/builds/${b.id}/log`));
  await t.throwsAsync(readdir(join(workdir, 'workspace', 'cancelled')));
});

test('the master away mid-build (503s, then a restart): the console is complete, byte for byte', async (t) => {
  const { master } = await setup(t);
  const b = await master.trigger({ steps: [{ type: 'shell', script: '#!/bin/sh\nfor i in $(seq 1 40); do echo "line $i"; sleep 0.05; done' }] });
  while (!text(b).includes('line 3\n')) await sleep(5);
  master.failNext = 5;
  while (!text(b).includes('line 12\n')) await sleep(5);
  await master.restart(1200);
  await finished(b, 20_000);
  const expected = Array.from({ length: 40 }, (_, i) => `line ${i + 1}\n`).join('');
  t.true(text(b).includes(expected));
  t.is(text(b).split('line 17\n').length, 2); // nothing twice
  t.is(b.result, 'SUCCESS');
});

test('a master that lost acknowledged bytes gets a notice and the rest; the build still finishes', async (t) => {
  const { master } = await setup(t);
  const b = await master.trigger({ steps: [{ type: 'shell', script: '#!/bin/sh\necho first; sleep 1.5; echo second' }] });
  while (!text(b).includes('first\n')) await sleep(5);
  master.loseBytesTo = b.spec.logOffset;
  await finished(b);
  t.is(b.result, 'SUCCESS');
  t.regex(text(b), /^Started by user admin\n\n\[jonkkins agent: the master lost \d+ bytes of this console\]\nsecond\nFinished: SUCCESS\n$/);
});

test('two builds of one job at once get job and job@2', async (t) => {
  const { master, workdir } = await setup(t, { executors: 2 });
  const script = '#!/bin/sh\necho "$WORKSPACE"; sleep 0.5';
  const [a, b] = [await master.trigger({ jobName: 'same', steps: [{ type: 'shell', script }] }), await master.trigger({ jobName: 'same', steps: [{ type: 'shell', script }] })];
  await finished(a);
  await finished(b);
  const used = [a, b].map((x) => text(x).split('\n')[3]).sort();
  t.deepEqual(used, [join(workdir, 'workspace', 'same'), join(workdir, 'workspace', 'same@2')]);
  t.deepEqual([a.executor, b.executor].sort(), [0, 1]);
});

test('queues the agent labels do not match are left alone; labels changed by the master take effect', async (t) => {
  const { master } = await setup(t, { labels: ['linux'], queues: [{ name: 'any', expression: '' }, { name: 'win', expression: 'windows' }, { name: 'me', expression: 'a1 && linux' }] });
  const onWin = await master.trigger({ steps: [{ type: 'shell', script: 'true' }] }, 'win');
  const onMe = await master.trigger({ steps: [{ type: 'shell', script: 'true' }] }, 'me');
  await finished(onMe);
  await sleep(500);
  t.is(onWin.state, 'queued');
  master.config = { ...master.config, labels: ['windows'] };
  await finished(onWin);
  t.is(onWin.result, 'SUCCESS');
});

test('stop() aborts the running builds and reports them ABORTED before it resolves', async (t) => {
  const { master, agent } = await setup(t);
  const b = await master.trigger({ steps: [{ type: 'shell', script: 'echo going\nsleep 30' }] });
  while (!text(b).includes('going\n')) await sleep(10);
  const at = Date.now();
  await agent.stop();
  t.true(Date.now() - at < 8000, `took ${Date.now() - at} ms`);
  t.is(b.state, 'finished');
  t.is(b.result, 'ABORTED');
  t.regex(text(b), /Build was aborted\nFinished: ABORTED\n$/);
});

test('processes that escape the step (setsid) are killed when the build ends', async (t) => {
  const { master, workdir } = await setup(t);
  const pidFile = join(workdir, 'escaped.pid');
  const b = await finished(await master.trigger({ steps: [{ type: 'shell', script: `#!/bin/sh\nsetsid sh -c 'echo $$ > ${pidFile}; exec sleep 60' < /dev/null > /dev/null 2>&1 &\nsleep 0.3` }] }));
  t.is(b.result, 'SUCCESS');
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  // Gone, or a zombie waiting for PID 1 (which here reaps lazily) to collect it.
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '');
  t.true(stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'), stat);
});

test('trigger to start is quick: an idle agent is woken by the queue, it does not wait for a poll', async (t) => {
  const { master } = await setup(t, { executors: 1 });
  await sleep(300);
  const latencies: number[] = [];
  for (let i = 0; i < 9; i++) {
    const b = await finished(await master.trigger({ steps: [] }));
    latencies.push(b.startedAt! - b.queuedAt);
  }
  latencies.sort((a, b) => a - b);
  t.log(`trigger → start (ms): ${latencies.join(', ')}`);
  t.true(latencies[4]! < 250, `median ${latencies[4]} ms`); // generous for a busy machine (idle: a few ms); executor-pool.test.ts proves the wake-up
});

test('an agent that comes back kills what its dead predecessor (same name, same workdir) left running', async (t) => {
  const { spawnJonkkins } = await import('../helpers/processes.ts');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `jk-test:${randomUUID()}`;
  const master = new FakeMaster({ redis, redisUrl: REDIS_URL, prefix, agent: { name: 'phoenix', secret: SECRET } });
  await master.listen();
  const workdir = await mkdtemp(join(tmpdir(), 'jk-agent-'));
  const first = spawnJonkkins(['agent', '--url', master.url, '--name', 'phoenix', '--workdir', workdir], { JONKKINS_AGENT_SECRET: SECRET });
  let second: RunningAgent | undefined;
  t.teardown(async () => {
    first.kill('SIGKILL');
    await second?.stop();
    await master.close();
    await master.closeQueues();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await rm(workdir, { recursive: true, force: true });
  });
  const pidFile = join(workdir, 'step.pid');
  const b = await master.trigger({ steps: [{ type: 'shell', script: `#!/bin/sh\necho $$ > ${pidFile}\necho running\nexec sleep 60` }] });
  for (const end = Date.now() + 15_000; !text(b).includes('running\n'); await sleep(20)) {
    if (Date.now() > end) throw new Error(`the first agent did not run the build:\n${first.output.stdout}${first.output.stderr}`);
  }
  const stepPid = Number((await readFile(pidFile, 'utf8')).trim());
  first.kill('SIGKILL'); // the agent dies; its step (its own process group) lives on
  await new Promise((r) => first.once('exit', r));
  await sleep(100);
  process.kill(stepPid, 0); // still running
  const logs: string[] = [];
  second = startAgent({ url: master.url, name: 'phoenix', secret: SECRET, workdir, log: { info: () => {}, warn: (m) => logs.push(m), error: () => {} } });
  await second.ready;
  const stat = await readFile(`/proc/${stepPid}/stat`, 'latin1').catch(() => '');
  t.true(stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'), stat);
  t.true(logs.some((m) => /killed 1 process\(es\) a previous run of this agent left behind/.test(m)), logs.join('\n'));
});

test('an agent-side failure is FATAL in the console and the build ends FAILURE; the agent lives on', async (t) => {
  const { master, workdir } = await setup(t);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(workdir, 'workspace'), 'not a directory');
  const b = await finished(await master.trigger({ steps: [{ type: 'shell', script: 'echo never' }] }));
  t.is(b.result, 'FAILURE');
  t.regex(text(b), /^Started by user admin\nFATAL: .*(EEXIST|ENOTDIR).*\nFinished: FAILURE\n$/);
  await rm(join(workdir, 'workspace'));
  const next = await finished(await master.trigger({ steps: [{ type: 'shell', script: 'true' }] }));
  t.is(next.result, 'SUCCESS');
});

test('stop() with the master gone gives up after the grace period instead of hanging', async (t) => {
  const { master, agent, logs } = await setup(t);
  const b = await master.trigger({ steps: [{ type: 'shell', script: 'echo going\nsleep 30' }] });
  while (!text(b).includes('going\n')) await sleep(10);
  await master.close();
  const at = Date.now();
  await agent.stop();
  const took = Date.now() - at;
  t.true(took >= 2500 && took < 8000, `took ${took} ms`); // stopGraceMs 3000
  t.is(b.state, 'running'); // never reported: the master will end it as agent lost
  t.true(logs.some((m) => /could not be completed|could not report/.test(m)), logs.join('\n'));
});

test('when the work config moves the queue, running builds finish and new ones come from the new place', async (t) => {
  const { master, logs } = await setup(t);
  const running = await master.trigger({ steps: [{ type: 'shell', script: 'echo one\nsleep 0.8' }] });
  while (!text(running).includes('one\n')) await sleep(10);
  const newPrefix = `jk-test:${randomUUID()}`;
  await master.movePrefix(newPrefix);
  t.teardown(async () => {
    const r = new Redis(REDIS_URL);
    const keys = await r.keys(`${newPrefix}:*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  });
  await sleep(400); // the agent re-reads the config (every 200 ms here)
  const next = await master.trigger({ steps: [{ type: 'shell', script: 'true' }] });
  await finished(running);
  t.is(running.result, 'SUCCESS'); // not aborted by the switch
  await finished(next);
  t.is(next.result, 'SUCCESS');
  t.true(logs.some((m) => /the queue moved/.test(m)));
});
