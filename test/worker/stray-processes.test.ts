import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { AGENT_COOKIE_VAR, agentCookie, findProcessesWithEnv, killProcessesWithEnv, newestPid } from '../../worker/src/stray-processes.ts';
import { until } from '../helpers/processes.ts';

/** A detached `sleep 100` (its own session, like a daemonised build process) with extra env. */
function sleeper(env: Record<string, string>): ChildProcess {
  const child = spawn('sleep', ['100'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

/** Until each child has exec'd sleep (before that, its /proc/<pid>/environ is still node's). */
async function execd(...children: ChildProcess[]): Promise<void> {
  const cmdline = (c: ChildProcess) => readFile(`/proc/${c.pid}/cmdline`, 'latin1').catch(() => '');
  await until('sleep to be exec\'d', async () => (await Promise.all(children.map(cmdline))).every((line) => line === 'sleep\u0000100\u0000'), 5000, 10);
}

async function gone(pid: number, timeoutMs = 5000): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(20)) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
  }
  return false;
}

const exited = (child: ChildProcess) => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));

test('the cookie scan kills a process carrying the cookie and spares one without it', async (t) => {
  const cookie = agentCookie(`test-${randomUUID()}`, '/tmp/some-workdir');
  const marked = sleeper({ [AGENT_COOKIE_VAR]: cookie });
  const other = sleeper({ [AGENT_COOKIE_VAR]: `${cookie}-not` });
  const plain = sleeper({});
  t.teardown(() => {
    for (const c of [marked, other, plain]) c.kill('SIGKILL');
  });
  await execd(marked, other, plain);
  t.deepEqual(await findProcessesWithEnv(AGENT_COOKIE_VAR, cookie), [marked.pid]);
  const killed = await killProcessesWithEnv(AGENT_COOKIE_VAR, cookie);
  t.deepEqual(killed, [marked.pid]);
  await exited(marked);
  t.is(marked.signalCode, 'SIGKILL');
  t.true(await gone(marked.pid!));
  t.is(other.exitCode, null);
  t.is(plain.exitCode, null);
  process.kill(other.pid!, 0); // still there
  process.kill(plain.pid!, 0);
});

test('with a grace period, SIGTERM comes first; what ignores it gets SIGKILL', async (t) => {
  const cookie = randomUUID();
  const polite = sleeper({ JONKKINS_BUILD_COOKIE: cookie });
  const stubborn = spawn('sh', ['-c', 'trap "" TERM; echo ready; sleep 100 & wait'], {
    env: { PATH: process.env.PATH ?? '', JONKKINS_BUILD_COOKIE: cookie },
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  t.teardown(() => {
    for (const c of [polite, stubborn]) c.kill('SIGKILL');
  });
  await new Promise((r) => stubborn.stdout!.once('data', r));
  await execd(polite);
  await until('the sh and its sleep child', async () => (await findProcessesWithEnv('JONKKINS_BUILD_COOKIE', cookie)).length === 3, 5000, 10);
  const started = Date.now();
  const killed = await killProcessesWithEnv('JONKKINS_BUILD_COOKIE', cookie, 300);
  t.is(killed.length, 3); // sleeper, the sh and its sleep child
  await Promise.all([exited(polite), exited(stubborn)]);
  t.is(polite.signalCode, 'SIGTERM');
  t.is(stubborn.signalCode, 'SIGKILL');
  t.true(Date.now() - started >= 250);
  t.deepEqual(await findProcessesWithEnv('JONKKINS_BUILD_COOKIE', cookie), []);
});

test('BUILD_ID=dontKillMe spares a process, as in Jenkins', async (t) => {
  const cookie = randomUUID();
  const spared = sleeper({ JONKKINS_BUILD_COOKIE: cookie, BUILD_ID: 'dontKillMe' });
  t.teardown(() => spared.kill('SIGKILL'));
  await execd(spared);
  t.deepEqual(await killProcessesWithEnv('JONKKINS_BUILD_COOKIE', cookie), []);
  process.kill(spared.pid!, 0);
  t.pass();
});

test('the agent cookie depends on the name and the resolved workdir', (t) => {
  t.is(agentCookie('a', '/x/y'), agentCookie('a', '/x/y/../y'));
  t.not(agentCookie('a', '/x/y'), agentCookie('b', '/x/y'));
  t.not(agentCookie('a', '/x/y'), agentCookie('a', '/x/z'));
});

test('given the newest pid from before a build, the scan reads only processes started since; once pids wrapped around, all', async (t) => {
  const cookie = randomUUID();
  const older = sleeper({ JONKKINS_BUILD_COOKIE: cookie }); // cannot happen for a real build: shows what is skipped
  await execd(older);
  const bornAfter = newestPid();
  t.true(bornAfter >= older.pid!, `newest pid ${bornAfter}, the older process ${older.pid}`);
  const newer = sleeper({ JONKKINS_BUILD_COOKIE: cookie });
  t.teardown(() => {
    for (const c of [older, newer]) c.kill('SIGKILL');
  });
  await execd(newer);
  const byPid = (pids: number[]) => pids.sort((a, b) => a - b);
  t.deepEqual(await findProcessesWithEnv('JONKKINS_BUILD_COOKIE', cookie, bornAfter), [newer.pid]);
  // A floor above the newest pid means pids wrapped around since it was taken.
  t.deepEqual(byPid(await findProcessesWithEnv('JONKKINS_BUILD_COOKIE', cookie, newestPid() + 1_000_000)), byPid([older.pid!, newer.pid!]));
  t.deepEqual(byPid(await killProcessesWithEnv('JONKKINS_BUILD_COOKIE', cookie, 0, bornAfter)), [newer.pid]);
  await exited(newer);
  process.kill(older.pid!, 0); // spared: older than the floor
});
