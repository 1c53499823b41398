/**
 * What a build's console and result are: the real agent (startAgent, in-process) running builds
 * the real master (test-master.ts, its own database) gave it, read back through the REST API.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { LOG_BATCH_BYTES } from '../../shared/src/agent-protocol.ts';
import { startRig } from '../helpers/agent-rig.ts';

test('a build runs its steps in its workspace; console, environment and result as in Jenkins', async (t) => {
  const rig = await startRig(t, { labels: ['linux', 'docker'] });
  await rig.job('hello', {
    env: { GREETING: 'hi there' },
    steps: [
      { type: 'shell', script: 'echo "$GREETING from $NODE_NAME"\npwd' },
      { type: 'shell', script: '#!/bin/sh\necho "ws=$WORKSPACE tmp=$WORKSPACE_TMP labels=$NODE_LABELS exec=$EXECUTOR_NUMBER"\necho "number=$BUILD_NUMBER tag=$BUILD_TAG url=$BUILD_URL"\necho "secret=${JONKKINS_AGENT_SECRET:-none} cookie=${JONKKINS_AGENT_COOKIE:+set}"' },
    ],
  });
  const b = await rig.finished(await rig.trigger('hello'));
  const ws = join(rig.workdir, 'workspace', 'hello');
  t.is(b.result, 'SUCCESS', b.text);
  t.is(b.agent, 'a1');
  const lines = b.text.split('\n');
  t.is(lines[0], 'Started by user admin');
  t.is(lines[1], `Running on a1 in ${ws}`);
  t.regex(lines[2]!, new RegExp(`^\\[hello\\] \\$ /bin/sh -xe ${rig.workdir}/tmp/jonkkins\\d+\\.sh$`));
  // `+ …` traces come on stderr, output on stdout: two pipes, so their relative order is not kept.
  t.deepEqual(lines.slice(3, 7).sort(), ['+ echo hi there from a1', '+ pwd', 'hi there from a1', ws].sort());
  t.regex(lines[7]!, new RegExp(`^\\[hello\\] \\$ /bin/sh ${rig.workdir}/tmp/jonkkins\\d+\\.sh$`));
  t.is(lines[8], `ws=${ws} tmp=${ws}@tmp labels=linux docker a1 exec=${b.executor}`);
  t.is(lines[9], 'number=1 tag=jonkkins-hello-1 url=http://jonkkins.test/job/hello/1/');
  t.is(lines[10], 'secret=none cookie=set'); // the agent had JONKKINS_AGENT_SECRET in its environment
  t.deepEqual(lines.slice(11), ['Finished: SUCCESS', '']);
  t.deepEqual(await readdir(join(rig.workdir, 'tmp')), []); // script files and step directories are gone
});

test('a failing step fails the build and skips the rest; unstableReturn makes it UNSTABLE and continues', async (t) => {
  const rig = await startRig(t);
  await rig.job('failing', { steps: [{ type: 'shell', script: 'echo one\nfalse\necho not here' }, { type: 'shell', script: 'echo never' }] });
  await rig.job('unstable', {
    steps: [
      { type: 'shell', script: 'exit 3', unstableReturn: 3 },
      { type: 'shell', script: 'echo still running' },
      { type: 'shell', script: 'exit 4', unstableReturn: 3 },
      { type: 'shell', script: 'echo skipped' },
    ],
  });
  await rig.job('u2', { steps: [{ type: 'shell', script: 'exit 2', unstableReturn: 2 }, { type: 'shell', script: 'true' }] });
  const [failedId, unstableId, justUnstableId] = [await rig.trigger('failing'), await rig.trigger('unstable'), await rig.trigger('u2')];

  const failed = await rig.finished(failedId);
  t.is(failed.result, 'FAILURE');
  t.true(failed.text.endsWith("\nBuild step 'Execute shell' marked build as failure\nFinished: FAILURE\n"), failed.text);
  t.regex(failed.text, /^one$/m);
  t.regex(failed.text, /^\+ false$/m);
  t.notRegex(failed.text, /never|not here/);

  const unstable = await rig.finished(unstableId);
  t.is(unstable.result, 'FAILURE');
  t.regex(unstable.text, /\+ exit 3\n\[unstable\] \$ .*\n(\+ echo still running\nstill running|still running\n\+ echo still running)\n\[unstable\] \$ .*\n\+ exit 4\nBuild step 'Execute shell' marked build as failure\nFinished: FAILURE\n$/);
  t.notRegex(unstable.text, /skipped/);

  t.is((await rig.finished(justUnstableId)).result, 'UNSTABLE');
});

test('a bad #! line is a launch failure: FAILURE with the reason', async (t) => {
  const rig = await startRig(t);
  await rig.job('job', { steps: [{ type: 'shell', script: '#!/no/such/interpreter\necho x' }] });
  const b = await rig.finished(await rig.trigger('job'));
  t.is(b.result, 'FAILURE');
  t.regex(b.text, /\[job\] \$ \/no\/such\/interpreter .*jonkkins\d+\.sh\ncommand execution failed: Cannot run program "\/no\/such\/interpreter".*\nBuild step 'Execute shell' marked build as failure\nFinished: FAILURE\n$/);
});

test('secrets are masked before they leave the agent, also split across output chunks', async (t) => {
  const rig = await startRig(t);
  await rig.job('masked', {
    parameters: [{ type: 'password', name: 'PASSWORD' }],
    // The secret comes out in two writes 300 ms apart: more than a log batch (200 ms) between them.
    steps: [{ type: 'shell', script: "#!/bin/sh\necho \"pw=$PASSWORD\"\nprintf 's3cr3t'; sleep 0.3; printf -- '-value\\n'\necho \"half=s3cr3t\"" }],
  });
  const b = await rig.finished(await rig.trigger('masked', { PASSWORD: 's3cr3t-value' }));
  t.is(b.result, 'SUCCESS', b.text);
  t.false(b.text.includes('s3cr3t-value'));
  t.regex(b.text, /pw=\*\*\*\*\n\*\*\*\*\nhalf=s3cr3t\n/); // a prefix alone is not a secret
  // What the master stored (not just what it shows) never had it.
  const stored = await rig.m.pool.anyFirst(sql.type(z.object({ data: z.instanceof(Buffer) }))`SELECT data FROM build_log_chunks WHERE build_id = ${b.queueId}`);
  t.false(Buffer.concat(stored).includes('s3cr3t-value'));
});

test('binary output reaches the console byte for byte', async (t) => {
  const rig = await startRig(t);
  await rig.job('binary', { steps: [{ type: 'shell', script: "#!/bin/sh\nprintf 'A\\377\\000\\376\\303\\050B\\n'" }] });
  const b = await rig.finished(await rig.trigger('binary'));
  const expected = Buffer.from([0x41, 0xff, 0x00, 0xfe, 0xc3, 0x28, 0x42, 0x0a]);
  t.true(b.bytes.includes(Buffer.concat([Buffer.from('\n'), expected, Buffer.from('Finished: SUCCESS\n')])), b.bytes.toString('hex'));
});

test('a large output arrives complete, in batches of at most LOG_BATCH_BYTES', async (t) => {
  const rig = await startRig(t);
  await rig.job('large', { steps: [{ type: 'shell', script: '#!/bin/sh\nseq 1 800000' }] }); // 6 MB of numbered lines, fast
  const b = await rig.finished(await rig.trigger('large'), 60_000);
  const body = b.text.split('\n').slice(3, -2);
  t.is(body.length, 800_000);
  t.is(body[0], '1');
  t.is(body[799_999], '800000');
  t.true(body.every((line, i) => line === String(i + 1)));
  // Each log post the master accepted is one stored chunk.
  const sizes = await rig.m.pool.anyFirst(sql.type(z.object({ n: z.number() }))`SELECT length(data) AS n FROM build_log_chunks WHERE build_id = ${b.queueId} ORDER BY start_offset`);
  t.true(sizes.every((n) => n <= LOG_BATCH_BYTES), `chunk sizes ${sizes.join(', ')}`);
  t.true(sizes.length >= 6, `${sizes.length} chunks`);
});

test('an agent-side failure is FATAL in the console and the build ends FAILURE; the agent lives on', async (t) => {
  const rig = await startRig(t);
  await writeFile(join(rig.workdir, 'workspace'), 'not a directory');
  await rig.job('job', { steps: [{ type: 'shell', script: 'echo never' }] });
  const b = await rig.finished(await rig.trigger('job'));
  t.is(b.result, 'FAILURE');
  t.regex(b.text, /^Started by user admin\nFATAL: .*(EEXIST|ENOTDIR).*\nFinished: FAILURE\n$/);
  await rm(join(rig.workdir, 'workspace'));
  await rig.job('next', { steps: [{ type: 'shell', script: 'true' }] });
  t.is((await rig.finished(await rig.trigger('next'))).result, 'SUCCESS');
});

test('processes that escape the step (setsid) are killed when the build ends', async (t) => {
  const rig = await startRig(t);
  const pidFile = join(rig.workdir, 'escaped.pid');
  await rig.job('escape', { steps: [{ type: 'shell', script: `#!/bin/sh\nsetsid sh -c 'echo $$ > ${pidFile}; exec sleep 60' < /dev/null > /dev/null 2>&1 &\nsleep 0.3` }] });
  const b = await rig.finished(await rig.trigger('escape'));
  t.is(b.result, 'SUCCESS');
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  // Gone, or a zombie waiting for PID 1 (which here reaps lazily) to collect it.
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '');
  t.true(stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'), stat);
});
