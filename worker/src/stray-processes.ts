/**
 * Finding build processes by their environment (Jenkins' ProcessTreeKiller, reference §3.3).
 * Every step gets JONKKINS_AGENT_COOKIE (this agent: its name and workdir) and
 * JONKKINS_BUILD_COOKIE (one build), which its children inherit. That finds what escaped the
 * step's process group (setsid, double forks):
 *  - after a build, whatever still carries the build's cookie is killed;
 *  - at start-up, whatever carries the agent's cookie was left running by a dead predecessor
 *    (SIGKILLed, OOM-killed, machine suspended…) and is killed: its builds are over.
 * As in Jenkins, `BUILD_ID=dontKillMe` (or `JENKINS_NODE_COOKIE=dontKillMe`) in a process's
 * environment spares it — though only a process that also left the step's process group survives
 * the step itself. Linux only (/proc); elsewhere nothing is found.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const AGENT_COOKIE_VAR = 'JONKKINS_AGENT_COOKIE';
export const BUILD_COOKIE_VAR = 'JONKKINS_BUILD_COOKIE';
const SPARED = ['BUILD_ID=dontKillMe', 'JENKINS_NODE_COOKIE=dontKillMe'];

/** The same for every run of the agent with this name and workdir, different for any other agent. */
export function agentCookie(agentName: string, workdir: string): string {
  return `${agentName}-${createHash('sha256').update(resolve(workdir)).digest('hex').slice(0, 16)}`;
}

/** Scan requests not started yet: everyone asking before the scan starts shares it. */
let nextScan: { wanted: Set<string>; bornAfter: number; found: Promise<Map<string, number[]>> } | undefined;
/** The scan running now (one at a time). */
let scanning: Promise<unknown> = Promise.resolve();

/**
 * The pid Linux gave its newest process (the last field of /proc/loadavg), or 0 where there is
 * none. Linux hands out pids in increasing order until they wrap around at pid_max, so a process
 * started after this call has a larger pid — unless pids wrapped meanwhile.
 */
export function newestPid(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'latin1').trim().split(' ').at(-1)) || 0;
  } catch {
    return 0;
  }
}

/**
 * Pids of our processes whose environment has exactly `name=value` (never this process or its parent).
 * `bornAfter` (a newestPid() taken before any of them was started) spares reading older
 * processes: a build's scan then reads the environment of what started since the build did, not
 * of every process on the machine — unless pids wrapped around since, when all are read.
 * Builds ending together share one pass over /proc: a request made while a scan runs waits for
 * the next one, which then answers every request made meanwhile.
 */
export function findProcessesWithEnv(name: string, value: string, bornAfter = 0): Promise<number[]> {
  const key = `${name}=${value}`;
  if (!nextScan) {
    const wanted = new Set<string>();
    const found = scanning.then(() => {
      const { bornAfter: oldest } = nextScan!;
      nextScan = undefined;
      return scanProc(wanted, oldest);
    });
    scanning = found.catch(() => {});
    nextScan = { wanted, bornAfter, found };
  }
  nextScan.wanted.add(key);
  nextScan.bornAfter = Math.min(nextScan.bornAfter, bornAfter);
  return nextScan.found.then((found) => found.get(key) ?? []);
}

/** For each wanted `name=value`, the pids carrying it, among the processes newer than `bornAfter`. */
async function scanProc(wanted: Set<string>, bornAfter: number): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return found;
  }
  // Pids wrapped around since bornAfter was taken: the newer processes may have any pid.
  const oldest = newestPid() >= bornAfter ? bornAfter : 0;
  const keys = [...wanted].map((k) => ({ key: k, bytes: Buffer.from(k) }));
  // Most processes carry none of the variables: a search of the raw bytes skips splitting them.
  const names = [...new Set([...wanted].map((k) => k.slice(0, k.indexOf('=') + 1)))].map((n) => Buffer.from(n));
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid <= oldest || pid === process.pid || pid === process.ppid) continue;
    // Other users' processes give EACCES; exited ones ENOENT; zombies an empty environment.
    const environ = readEnviron(pid);
    if (!environ || environ.length === 0 || !names.some((n) => environ.includes(n))) continue;
    const vars = splitNul(environ);
    if (vars.some((v) => SPARED.includes(v.toString('latin1')))) continue;
    for (const { key, bytes } of keys) {
      if (!vars.some((v) => v.equals(bytes))) continue;
      const pids = found.get(key);
      if (pids) pids.push(pid);
      else found.set(key, [pid]);
    }
  }
  return found;
}

/**
 * Kills every process whose environment has `name=value` (among those newer than `bornAfter`, as
 * in findProcessesWithEnv): SIGTERM then, after graceMs, SIGKILL to what is left (graceMs 0:
 * SIGKILL at once). Resolves with the pids it signalled, once they are
 * gone (a SIGKILLed process takes a moment to die; at most KILL_WAIT_MS is spent waiting).
 */
export async function killProcessesWithEnv(name: string, value: string, graceMs = 0, bornAfter = 0): Promise<number[]> {
  const pids = await findProcessesWithEnv(name, value, bornAfter);
  if (pids.length === 0) return [];
  for (const pid of pids) signal(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  let alive = pids;
  if (graceMs > 0) {
    alive = await waitForExit(pids, graceMs);
    for (const pid of alive) signal(pid, 'SIGKILL');
  }
  await waitForExit(alive, KILL_WAIT_MS);
  return pids;
}

const KILL_WAIT_MS = 2000;

/** Waits up to `ms` for the processes to end; returns those still running. */
async function waitForExit(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let alive = pids;
  for (let wait = 5; alive.length > 0 && Date.now() < deadline; wait = Math.min(25, wait * 2)) {
    alive = (await Promise.all(alive.map(async (pid) => ((await isRunning(pid)) ? pid : -1)))).filter((p) => p > 0);
    if (alive.length > 0) await sleep(wait);
  }
  return alive;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already, or not ours
  }
}

/** Alive and not a zombie (an unreaped zombie must not make us wait for ever). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '');
  if (stat === '') return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

function splitNul(buf: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(0); i !== -1; i = buf.indexOf(0, start)) {
    parts.push(buf.subarray(start, i));
    start = i + 1;
  }
  if (start < buf.length) parts.push(buf.subarray(start));
  return parts;
}

/**
 * Read synchronously: /proc files are generated in memory, and this runs after every build over
 * every process of the machine, where an async read (open, fstat, read, close, each a thread-pool
 * round trip) cost ~10 ms of CPU per build with ~150 processes — most of an agent's CPU in a burst
 * of short builds. (Like `ps`, it can block while the target's memory map is locked.)
 */
function readEnviron(pid: number): Buffer | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
}
