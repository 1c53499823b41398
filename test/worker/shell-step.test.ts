import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import test from 'ava';
import { interpreterFor, normaliseScript, tokenize } from '../../worker/src/steps/shebang.ts';
import { commandLine, runShellStep, type ShellStepOptions, type ShellStepResult } from '../../worker/src/steps/shell-step.ts';
import { launcherPid } from '../../worker/src/steps/step-launcher.ts';
import { until } from '../helpers/processes.ts';

// ---- pure: the shebang rules -------------------------------------------------------------------

test('normaliseScript: LF endings, and a leading newline unless the script starts with #!', (t) => {
  t.is(normaliseScript('echo a\r\necho b\rEcho c\n'), '\necho a\necho b\nEcho c\n');
  t.is(normaliseScript('#!/bin/bash\r\necho hi'), '#!/bin/bash\necho hi');
  t.is(normaliseScript('\necho hi'), '\necho hi');
  t.is(normaliseScript('\r\necho hi'), '\necho hi');
  t.is(normaliseScript(''), '\n');
  t.is(normaliseScript(' #!/bin/bash'), '\n #!/bin/bash', 'a shebang must be the very first bytes');
  t.is(normaliseScript(normaliseScript('echo hi')), '\necho hi', 'idempotent');
});

test('interpreterFor: the #! line, split quote-aware, else /bin/sh -xe', (t) => {
  const table: [string, string[]][] = [
    ['echo hi', ['/bin/sh', '-xe']],
    ['\n#!/bin/bash\necho hi', ['/bin/sh', '-xe']],
    ['#!/bin/bash\necho hi', ['/bin/bash']],
    ['#!/bin/bash -eu -o pipefail\necho hi', ['/bin/bash', '-eu', '-o', 'pipefail']],
    ['#!/usr/bin/env python3\nprint(1)', ['/usr/bin/env', 'python3']],
    ['#! /bin/sh\necho hi', ['/bin/sh']],
    ['#!/bin/sh  \t \r\necho hi', ['/bin/sh']],
    ['#!/bin/bash -xe\r\necho hi\r\n', ['/bin/bash', '-xe']],
    ['#!/usr/bin/perl -w', ['/usr/bin/perl', '-w']],
    ['#!"/opt/my tools/run" --label "a b" \'c  d\' e"f g"', ['/opt/my tools/run', '--label', 'a b', 'c  d', 'ef g']],
    ['#!/bin/echo $HOME ${X}', ['/bin/echo', '$HOME', '${X}']],
  ];
  for (const [script, argv] of table) t.deepEqual(interpreterFor(script), argv, JSON.stringify(script));
});

test('interpreterFor: a #! naming no interpreter is an error saying so', (t) => {
  for (const script of ['#!', '#!\necho hi', '#!   \necho hi', '#!""']) {
    t.throws(() => interpreterFor(script), { message: /names no interpreter/ }, JSON.stringify(script));
  }
});

test("tokenize behaves like Jenkins' QuotedStringTokenizer", (t) => {
  // The cases of hudson.util.QuotedStringTokenizerTest, plus a few edges.
  t.deepEqual(tokenize('foo bar'), ['foo', 'bar']);
  t.deepEqual(tokenize('foo "bar zot"'), ['foo', 'bar zot']);
  t.deepEqual(tokenize('foo bar="quote zot"'), ['foo', 'bar=quote zot']);
  t.deepEqual(tokenize('foo\\"'), ['foo"']);
  t.deepEqual(tokenize('foo\\ bar'), ['foo bar']);
  t.deepEqual(tokenize('foo\\\\ bar'), ['foo\\', 'bar']);
  t.deepEqual(tokenize('foo="bar\\zot"'), ['foo=bar\\zot']);
  t.deepEqual(tokenize("'it''s' \"a \\\"q\\\"\""), ['its', 'a "q"']);
  t.deepEqual(tokenize('a "" b'), ['a', '', 'b']);
  t.deepEqual(tokenize('  a\t\tb  '), ['a', 'b']);
  t.deepEqual(tokenize(''), []);
});

test('commandLine: workspace basename, then the argv with spaced args quoted', (t) => {
  t.is(commandLine('/var/ws/my-job', ['/bin/sh', '-xe', '/tmp/jonkkins1.sh']), '[my-job] $ /bin/sh -xe /tmp/jonkkins1.sh');
  t.is(commandLine('/var/ws/my job/', ['/opt/a b/run', 'say "hi" x', '/tmp/j.sh']), `[my job] $ "/opt/a b/run" 'say "hi" x' /tmp/j.sh`);
});

// ---- real processes ----------------------------------------------------------------------------

interface Run {
  result: ShellStepResult;
  output: Buffer;
  text: string;
  ws: string;
  tmp: string;
  ms: number;
}

async function dirs() {
  const root = await mkdtemp(join(tmpdir(), 'jk-shell-'));
  return { ws: await mkdtemp(join(root, 'ws-')), tmp: await mkdtemp(join(root, 'tmp-')), root };
}

/** Runs a step to completion; `during` sees the output collected so far and may abort. */
async function run(t: { teardown(fn: () => unknown): void }, script: string, extra: Partial<ShellStepOptions> = {}, during?: (out: () => string, abort: () => void) => Promise<void>): Promise<Run> {
  const { ws, tmp, root } = await dirs();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const chunks: Buffer[] = [];
  const controller = new AbortController();
  const started = Date.now();
  const step = runShellStep({
    script, cwd: ws, tmpDir: tmp, signal: controller.signal,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
    onOutput: (c) => chunks.push(c),
    ...extra,
  });
  let abortedAt = started;
  await during?.(() => Buffer.concat(chunks).toString('latin1'), () => { abortedAt = Date.now(); controller.abort(); });
  const result = await step;
  const output = Buffer.concat(chunks);
  return { result, output, text: output.toString('utf8'), ws, tmp, ms: Date.now() - abortedAt };
}

/** Gone, or a zombie waiting for init to reap it (it runs nothing and holds no pipe). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return /^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return true;
  }
}

/** The children of a live process. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Asleep in write(2): /proc/<pid>/syscall names the call a blocked process is in (write is 1 on x86-64, 64 on arm64). */
function blockedInWrite(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const call = readFileSync(`/proc/${pid}/syscall`, 'latin1').split(' ')[0];
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('S') && call === (process.arch === 'arm64' ? '64' : '1');
  } catch {
    return false;
  }
}

/** Live processes whose process group is pgid. */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return pgrp === String(pgid) && state !== 'Z';
    } catch {
      return false;
    }
  });
}

const pidOf = (text: string, name: string) => Number(new RegExp(`^${name}=(\\d+)$`, 'm').exec(text)?.[1]);

test('no shebang: /bin/sh -xe traces commands and stops at the first failure', async (t) => {
  const { result, text } = await run(t, 'echo hi\nfalse\necho never');
  t.like(result, { exitCode: 1, signal: null, aborted: false });
  t.deepEqual(result.argv.slice(0, 2), ['/bin/sh', '-xe']);
  t.regex(text, /^\+ echo hi$/m);
  t.regex(text, /^hi$/m);
  t.regex(text, /^\+ false$/m);
  t.false(text.includes('never'));
});

test('#!/usr/bin/env python3 runs python', async (t) => {
  const { result, text } = await run(t, '#!/usr/bin/env python3\nimport sys\nprint("py", sys.version_info[0])');
  t.like(result, { exitCode: 0, aborted: false });
  t.deepEqual(result.argv.slice(0, 2), ['/usr/bin/env', 'python3']);
  t.is(text, 'py 3\n');
});

test('#!/bin/bash -eu -o pipefail: bash syntax works and pipefail fails `false | true`', async (t) => {
  const ok = await run(t, '#!/bin/bash -eu -o pipefail\nxs=(a b c)\nif [[ ${#xs[@]} == 3 && $BASH_VERSION ]]; then echo "n=${#xs[@]} last=${xs[2]}"; fi');
  t.like(ok.result, { exitCode: 0 });
  t.is(ok.text, 'n=3 last=c\n');
  const piped = await run(t, '#!/bin/bash -eu -o pipefail\nfalse | true\necho after');
  t.like(piped.result, { exitCode: 1 });
  t.is(piped.text, '');
});

test('exit code passes through', async (t) => {
  const { result } = await run(t, 'exit 3');
  t.like(result, { exitCode: 3, signal: null, aborted: false });
});

test('env and cwd are the given ones; the script is a 0600 temp file outside the workspace, deleted after', async (t) => {
  const r = await run(t, 'echo "var=$MY_VAR"\necho "cwd=$(pwd)"\necho "script=$0"\necho "mode=$(stat -c %a "$0")"\necho "ws=$(ls -A)"', {
    env: { PATH: '/usr/bin:/bin', MY_VAR: 'a b $c' },
  });
  t.like(r.result, { exitCode: 0 });
  t.regex(r.text, /^var=a b \$c$/m);
  t.regex(r.text, new RegExp(`^cwd=${r.ws}$`, 'm'));
  t.regex(r.text, /^mode=600$/m);
  t.regex(r.text, /^ws=$/m, 'nothing in the workspace');
  const script = /^script=(.*)$/m.exec(r.text)?.[1] ?? '';
  t.is(script, r.result.argv.at(-1) ?? '(none)');
  t.is(dirname(script), r.tmp);
  t.regex(basename(script), /^jonkkins\d+\.sh$/);
  t.deepEqual(await readdir(r.tmp), [], 'deleted');
});

test('output is byte-exact: all 256 byte values and invalid UTF-8', async (t) => {
  const expected = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82])]);
  const { result, output } = await run(t, `#!/usr/bin/env python3\nimport sys\nsys.stdout.buffer.write(bytes.fromhex("${expected.toString('hex')}"))`);
  t.like(result, { exitCode: 0 });
  t.true(output.equals(expected));
});

test('stdout and stderr both arrive, merged', async (t) => {
  // The order between the two pipes is best effort (a busy event loop may find both readable at
  // once), so only each stream's own order is asserted.
  const { text } = await run(t, '#!/bin/sh\necho one\necho two >&2\necho three\necho four >&2');
  t.deepEqual(text.split('\n').sort(), ['', 'four', 'one', 'three', 'two']);
  t.true(text.indexOf('one') < text.indexOf('three') && text.indexOf('two') < text.indexOf('four'));
});

test('20 MB of output arrives completely', async (t) => {
  let bytes = 0;
  const { result } = await run(t, '#!/bin/sh\nhead -c 20000000 /dev/zero\necho end >&2', { onOutput: (c) => (bytes += c.length) });
  t.like(result, { exitCode: 0 });
  t.is(bytes, 20_000_004);
});

test('abort: SIGTERM to the whole group, the step and its background child are gone', async (t) => {
  const r = await run(t, 'sleep 100 &\necho "bg=$!"\necho "pgid=$$"\nsleep 100', {}, async (out, abort) => {
    await until('the step to start', () => /^pgid=\d+$/m.test(out()), 10_000, 10);
    abort();
  });
  t.like(r.result, { exitCode: null, signal: 'SIGTERM', aborted: true });
  t.true(r.ms < 3000, `took ${r.ms} ms`); // instantly on a quiet machine; without the fix: 100 s (the sleep) or 10 s (PIPE_DRAIN_MS)
  const bg = pidOf(r.text, 'bg');
  const pgid = pidOf(r.text, 'pgid');
  t.true(gone(bg) && gone(pgid));
  t.deepEqual(groupMembers(pgid), [], 'the foreground sleep too');
});

test('abort: a step ignoring SIGTERM is SIGKILLed after killGraceMs', async (t) => {
  const r = await run(t, "trap '' TERM\necho \"pgid=$$\"\nsleep 100", { killGraceMs: 500 }, async (out, abort) => {
    await until('the step to start', () => /^pgid=\d+$/m.test(out()), 10_000, 10);
    abort();
  });
  t.like(r.result, { exitCode: null, signal: 'SIGKILL', aborted: true });
  t.true(r.ms >= 450 && r.ms < 3000, `took ${r.ms} ms`); // well under the 5 s default grace, even on a loaded machine
  t.deepEqual(groupMembers(pidOf(r.text, 'pgid')), []);
});

test('an already aborted signal runs nothing', async (t) => {
  const { ws, tmp, root } = await dirs();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const result = await runShellStep({ script: 'touch ran', cwd: ws, tmpDir: tmp, env: {}, signal: AbortSignal.abort(), onOutput: () => {} });
  t.like(result, { exitCode: null, aborted: true, argv: ['/bin/sh', '-xe'] });
  t.deepEqual(await readdir(ws), []);
  t.deepEqual(await readdir(tmp), []);
});

test('background children left behind after a normal exit are killed and do not hang the step', async (t) => {
  // The plain one keeps our stdout pipe open: without the group kill, the step would never end.
  const r = await run(t, 'sleep 100 &\necho "bg=$!"\nnohup sleep 100 >/dev/null 2>&1 &\necho "nohup=$!"\necho done');
  t.like(r.result, { exitCode: 0, aborted: false });
  t.true(r.ms < 5000, `took ${r.ms} ms`); // without the group kill: PIPE_DRAIN_MS (10 s)
  t.regex(r.text, /^done$/m);
  t.true(gone(pidOf(r.text, 'bg')) && gone(pidOf(r.text, 'nohup')));
});

test('a missing interpreter is a launch error, not a throw', async (t) => {
  const r = await run(t, '#!/nonexistent/interp -x\necho hi');
  t.like(r.result, { exitCode: null, signal: null, aborted: false });
  t.regex(r.result.launchError ?? '', /Cannot run program "\/nonexistent\/interp".*ENOENT/);
  t.deepEqual(r.result.argv.slice(0, 2), ['/nonexistent/interp', '-x']);
  t.deepEqual(await readdir(r.tmp), [], 'script deleted');
  const empty = await run(t, '#!\necho hi');
  t.regex(empty.result.launchError ?? '', /names no interpreter/);
});

/** The three ways a step is started: through the step launcher, spawned by the agent with the output socket, behind the shell wrapper. */
const WAYS = [
  ['launcher', { merge: 'socket', launcher: true }],
  ['socket', { merge: 'socket', launcher: false }],
  ['shell', { merge: 'shell' }],
] as const;
for (const [merge, way] of WAYS) {
  test(`stdout and stderr are one stream, in order: sh -x traces sit right before their output (${merge})`, async (t) => {
    const r = await run(t, 'echo out1\necho err1 >&2\necho out2\necho err2 >&2', way);
    t.is(r.result.exitCode, 0);
    t.is(r.text, '+ echo out1\nout1\n+ echo err1\nerr1\n+ echo out2\nout2\n+ echo err2\nerr2\n');
  });

  test(`exit codes, a missing interpreter, and a setsid escapee holding the output (an abort stops the wait) are the same whichever way the step starts (${merge})`, async (t) => {
    t.is((await run(t, 'exit 3', way)).result.exitCode, 3);
    t.like((await run(t, '#!/bin/sh\nkill -9 $$', way)).result, { exitCode: null, signal: 'SIGKILL' });
    const missing = await run(t, '#!/nonexistent/interp -x\necho hi', way);
    t.regex(missing.result.launchError ?? '', /Cannot run program "\/nonexistent\/interp".*ENOENT/);
    // A setsid escapee holds the output open after the step exits. Outside our group, nothing kills
    // it: we wait (PIPE_DRAIN_MS) for it to close the output, or until aborted.
    // The step ends only once the escapee has left its process group (setsid ran, then sh): ending
    // sooner, the group kill after the step would catch it before it escaped.
    const escape = `setsid sh -c 'echo $$ > escapee.pid; exec sleep 100' &\nwhile [ ! -s escapee.pid ]; do sleep 0.01; done\necho "step=$$"\necho "escapee=$(cat escapee.pid)"`;
    const leaked = await run(t, escape, way, async (out, abort) => {
      await until('the step to print', () => /^escapee=\d+$/m.test(out()), 10_000, 10);
      // Aborted while it waits for the escapee to close the output: once the step's shell is gone.
      await until('the step to exit', () => gone(pidOf(out(), 'step')), 10_000, 10);
      abort();
    });
    const escapee = pidOf(leaked.text, 'escapee');
    t.teardown(() => process.kill(escapee, 'SIGKILL'));
    t.like(leaked.result, { exitCode: 0, aborted: true, leakedDescriptors: true });
    t.true(leaked.ms < 3000, `took ${leaked.ms} ms`); // instantly on a quiet machine; without the fix: 100 s (the sleep) or 10 s (PIPE_DRAIN_MS)
  });
}

test('flow control: while the console is full the step is paused on its writes, and all its output arrives once it drained', async (t) => {
  let full = true;
  let resume: (() => void) | undefined;
  const flow = {
    get full() {
      return full;
    },
    whenDrained(listener: () => void) {
      resume = listener;
    },
  };
  let got = 0;
  let first = '';
  let done = false;
  const r = run(t, '#!/bin/sh\necho "pid=$$"\nhead -c 5000000 /dev/zero\necho done', {
    flow,
    onOutput: (c) => {
      if (got === 0) first = c.toString('latin1');
      got += c.length;
    },
  });
  void r.then(() => (done = true));
  await until('the first output', () => got > 0, 10_000, 10);
  const sh = pidOf(first, 'pid');
  // Paused, seen where it is: head, the shell's child, asleep in write(2) on the full output.
  await until('head to block on its write', () => childrenOf(sh).some(blockedInWrite), 10_000, 10);
  t.false(done, 'the step waits on its writes');
  t.true(got < 5_000_000, `only ${got} bytes read while full`);
  full = false;
  resume!();
  const result = await r;
  t.is(result.result.exitCode, 0);
  t.is(got, first.indexOf('\n') + 1 + 5_000_000 + 'done\n'.length);
});

// Serial (ava runs these before the others): killing the launcher would kill other tests' steps too.
test.serial('the step launcher dies under a running step: the step counts as killed, its group is cleaned up, and the next step gets a new launcher', async (t) => {
  // Make sure a launcher runs, then start a step that outlives it.
  t.is((await run(t, 'true', { merge: 'socket', launcher: true })).result.exitCode, 0);
  const launcher = launcherPid();
  t.truthy(launcher, 'a launcher runs');
  const r = await run(t, 'echo "pid=$$"\nexec sleep 100', { merge: 'socket', launcher: true }, async (out) => {
    await until('the step to start', () => /^pid=\d+$/m.test(out()), 10_000, 10);
    process.kill(launcher!, 'SIGKILL');
  });
  t.like(r.result, { exitCode: null, signal: 'SIGKILL', aborted: false });
  t.true(gone(pidOf(r.text, 'pid')), 'the orphaned step was killed with its group');
  t.is((await run(t, 'echo again', { merge: 'socket', launcher: true })).text, '+ echo again\nagain\n');
  t.not(launcherPid(), launcher);
});
