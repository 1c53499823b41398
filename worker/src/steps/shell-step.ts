/**
 * Runs one "Execute shell" build step the way Jenkins does (reference §1.7, §3.3): the script goes
 * to a temp file outside the workspace, the interpreter from its `#!` line (else /bin/sh -xe) runs
 * it in the workspace, and stdout+stderr stream into the build log. The step is its own process
 * group, so an abort — and the cleanup after a normal exit (Jenkins' ProcessTreeKiller) — reaches
 * every process it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { openOutputPair, type OutputPair } from './output-socket.ts';
import { launchStep } from './step-launcher.ts';
import { interpreterFor, normaliseScript } from './shebang.ts';

export interface ShellStepOptions {
  script: string;               // as configured in the job
  cwd: string;                  // the workspace (exists)
  env: Record<string, string>;  // the complete environment for the step
  tmpDir: string;               // where the temp script file goes (Jenkins: the agent's tmp dir, not the workspace)
  signal: AbortSignal;          // abort → SIGTERM to the step's whole process group, SIGKILL after killGraceMs
  killGraceMs?: number;         // default 5000
  /** stdout and stderr bytes, merged, byte-exact, in arrival order. Must not throw. */
  onOutput(chunk: Buffer): void;
  /**
   * Flow control: while `full`, reading the step's output pauses (the step blocks on its writes)
   * until `whenDrained` calls back. LogShipper has both.
   */
  flow?: { readonly full: boolean; whenDrained(resume: () => void): void };
  /** The command about to run (interpreter, then the script file), before any output. Must not throw. */
  onCommand?(argv: string[]): void;
  /**
   * How stdout and stderr become one stream: 'socket' (the default where there is one, see
   * output-socket.ts) or 'shell' (a `sh -c 'exec 2>&1; exec "$@"'` wrapper: elsewhere, and tests).
   */
  merge?: 'socket' | 'shell';
  /** With the 'socket' merge: start the step through the agent's step launcher (default true; see step-launcher.ts). */
  launcher?: boolean;
}

export interface ShellStepResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  aborted: boolean;
  /** What was run, script path last. When nothing was run: the interpreter if aborted before launch, [] for a bad `#!`. */
  argv: string[];
  launchError?: string;
  /**
   * A process outside the step's group (e.g. started with setsid) still held stdout/stderr open
   * PIPE_DRAIN_MS after the step ended; we stopped reading. Jenkins logs "Process leaked file descriptors".
   */
  leakedDescriptors?: boolean;
}

export const DEFAULT_KILL_GRACE_MS = 5000;
/** How long to wait for the pipes to close once the step's group is gone (Jenkins waits 10 s too). */
export const PIPE_DRAIN_MS = 10_000;
const POLL_MS = 25;
const SIGKILL_WAIT_MS = 1000;

/** Jenkins' console line before the step: `[<workspace basename>] $ /bin/sh -xe /tmp/jonkkins123.sh`. */
export function commandLine(cwd: string, argv: string[]): string {
  // Launcher.printCommandLine: args with a space are quoted, single quotes if they contain a double quote.
  const args = argv.map((a) => (!a.includes(' ') ? a : a.includes('"') ? `'${a}'` : `"${a}"`));
  return `[${basename(cwd) || cwd}] $ ${args.join(' ')}`;
}

export async function runShellStep(opts: ShellStepOptions): Promise<ShellStepResult> {
  const script = normaliseScript(opts.script);
  let interpreter: string[];
  try {
    interpreter = interpreterFor(script);
  } catch (err) {
    return { exitCode: null, signal: null, aborted: false, argv: [], launchError: messageOf(err) };
  }
  // An aborted build must not start another step, not even for the instant before SIGTERM lands.
  if (opts.signal.aborted) return { exitCode: null, signal: null, aborted: true, argv: interpreter };

  let scriptPath: string;
  try {
    scriptPath = await writeTempScript(opts.tmpDir, script);
  } catch (err) {
    return { exitCode: null, signal: null, aborted: false, argv: interpreter, launchError: `Unable to write the script file in ${opts.tmpDir}: ${messageOf(err)}` };
  }
  const argv = [...interpreter, scriptPath];
  try {
    if (opts.signal.aborted) return { exitCode: null, signal: null, aborted: true, argv: interpreter }; // during the write
    opts.onCommand?.(argv);
    return await launch(argv, opts);
  } finally {
    try {
      rmSync(scriptPath, { force: true }); // best effort, like Jenkins' finally
    } catch {
      // left for the temp dir's owner
    }
  }
}

/**
 * Runs one program with its arguments as a step's process would run (own process group, stdout
 * and stderr merged, flow control, the abort), for step kinds that run a tool rather than a
 * script (dockerBuild). `argv[0]` is looked up on the environment's PATH.
 */
export function runCommand(argv: string[], opts: Omit<ShellStepOptions, 'script' | 'tmpDir' | 'onCommand'>): Promise<ShellStepResult> {
  if (opts.signal.aborted) return Promise.resolve({ exitCode: null, signal: null, aborted: true, argv });
  return launch(argv, { ...opts, script: '', tmpDir: '' });
}

/**
 * `jonkkins<digits>.sh`, created exclusively with mode 0600: not executable, the interpreter reads it.
 * Written synchronously, like the other small files of a step's launch: an async write is three
 * thread-pool round trips (open, write, close), each dearer than the write itself.
 */
async function writeTempScript(dir: string, script: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const path = join(dir, `jonkkins${randomBytes(8).readBigUInt64BE()}.sh`);
    try {
      writeFileSync(path, script, { flag: 'wx', mode: 0o600 });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw err;
    }
  }
}

async function launch(argv: string[], opts: ShellStepOptions): Promise<ShellStepResult> {
  const [file = '', ...args] = argv;
  const failed = (err: unknown): ShellStepResult => ({
    exitCode: null, signal: null, aborted: false, argv,
    launchError: `Cannot run program "${file}" (in directory "${opts.cwd}"): ${messageOf(err)}`,
  });
  const missing = await executableProblem(file, opts.env.PATH);
  if (missing) return failed(new Error(missing));
  // One stream, as in Jenkins: the step's stdout and stderr are one socket (openOutputPair), so
  // `+ cmd` traces and output keep their order. Where there is none, a shell wrapper makes it:
  // `exec 2>&1` points stderr at the stdout pipe, then `exec "$@"` replaces the shell.
  const pair = opts.merge === 'shell' ? undefined : await openOutputPair();
  const started = await startProcess(file, args, opts, pair);
  if ('error' in started) return failed(started.error);
  const { pid, exited, stdout } = started;
  const drained = closed(stdout);
  // Chunks are forwarded as they arrive and never accumulated here.
  const { flow } = opts;
  // Once the step has exited, what is left to read is bounded (the socket's buffer, and leaked
  // writers): it is read at once, so the drain wait below measures leaks, not a slow master.
  let stepExited = false;
  const onData = (chunk: Buffer) => {
    opts.onOutput(chunk);
    if (flow?.full && !stepExited && !stdout.isPaused()) {
      stdout.pause();
      flow.whenDrained(() => stdout.resume());
    }
  };
  stdout.on('data', onData);
  stdout.resume();

  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  let aborted = false;
  let killing: Promise<void> | undefined;
  const killGroup = () => (killing ??= terminateGroup(pid, graceMs));
  // Waiting for leaked pipes ends at PIPE_DRAIN_MS, or at once on an abort. A plain timer, not
  // an AbortSignal: aborting one builds a DOMException with a stack trace, on every step.
  let drainTimer: NodeJS.Timeout | undefined;
  let stopDraining = () => {};
  const onAbort = () => {
    aborted = true;
    void killGroup();
    stopDraining(); // matters only once the step has exited and we wait for leaked pipes
  };
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const [exitCode, signal] = await exited;
    stepExited = true;
    stdout.resume();
    // Strays (`sleep 1000 &`) die with the step, as under Jenkins' ProcessTreeKiller; they would
    // otherwise hold the pipes open and hang the step. Costs one syscall when there are none.
    await killGroup();
    const giveUp = new Promise<false>((resolve) => {
      stopDraining = () => resolve(false);
      if (aborted) resolve(false);
      else drainTimer = setTimeout(resolve, PIPE_DRAIN_MS, false);
    });
    const allRead = await Promise.race([drained.then(() => true), giveUp]);
    if (!allRead) {
      stdout.destroy();
    }
    return { exitCode, signal, aborted, argv, ...(allRead ? {} : { leakedDescriptors: true }) };
  } finally {
    clearTimeout(drainTimer); // it would otherwise keep the agent's event loop busy
    opts.signal.removeEventListener('abort', onAbort);
    stdout.off('data', onData);
  }
}

/**
 * Starts the step in a process group of its own (pgid = pid, which we signal as a whole): through
 * the agent's step launcher when there is one (with the output pair's write end), else spawned
 * here — with the pair, or behind the shell wrapper with a pipe. An error is what spawn's 'error'
 * would have been (e.g. ENOENT for the interpreter or the working directory).
 */
async function startProcess(file: string, args: string[], opts: ShellStepOptions, pair: OutputPair | undefined): Promise<{ pid: number; exited: Promise<[number | null, NodeJS.Signals | null]>; stdout: Readable } | { error: unknown }> {
  if (pair && opts.launcher !== false) {
    try {
      const launched = await launchStep(file, args, { cwd: opts.cwd, env: opts.env }, pair.writeEnd);
      if (launched) return { ...launched, stdout: pair.readEnd };
    } catch (err) {
      pair.writeEnd.destroy();
      pair.readEnd.destroy();
      return { error: err };
    }
  }
  let child: ChildProcess;
  try {
    child = pair
      ? spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', pair.writeEnd, pair.writeEnd] })
      : spawn('/bin/sh', ['-c', 'exec 2>&1; exec "$@"', 'jonkkins-step', file, ...args], {
          cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'ignore'],
        });
  } catch (err) {
    pair?.readEnd.destroy();
    return { error: err }; // e.g. a NUL byte in an argument
  } finally {
    pair?.writeEnd.destroy(); // the step has its own copy: the output ends when the step's processes close theirs
  }
  const stdout = pair ? pair.readEnd : (child.stdout as Readable);
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('exit', (code, sig) => resolve([code, sig]));
  });
  // ENOENT/EACCES on the interpreter or cwd arrive as 'error' instead of 'spawn'.
  const started = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', resolve);
  });
  if (started !== null || child.pid === undefined) {
    stdout.destroy();
    return { error: started ?? new Error('no pid') };
  }
  return { pid: child.pid, exited, stdout };
}

/**
 * SIGTERM to every process in the group; SIGKILL to whatever is left after graceMs
 * (Jenkins: ProcessTree.killAll, SoftKillWaitSeconds).
 */
async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await groupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  // kill() returns before the targets have died; wait briefly so that "resolved" means "gone"
  // (only a process stuck in uninterruptible I/O could outlast this).
  await groupGone(pgid, SIGKILL_WAIT_MS);
}

async function groupGone(pgid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    if (!(await groupAlive(pgid))) return true;
  }
  return false;
}

/** kill(2) on the whole group; false when no process in it could be signalled. */
function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false; // ESRCH: the group is gone; EPERM: nothing in it is ours to signal
  }
}

/**
 * Whether a live process is left in the group. kill(0) alone also counts zombies, and orphaned
 * zombies stay forever when nobody reaps them (an agent running as PID 1 in a container), so when
 * it says yes, /proc gets the final word on Linux.
 */
async function groupAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
  for (const pid of pids) {
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '');
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (pgrp === String(pgid) && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

function closed(stream: Readable): Promise<void> {
  stream.on('error', () => {}); // a failed read still ends in 'close'; it must not crash the agent
  return new Promise((resolve) => {
    if (stream.closed || stream.destroyed) resolve();
    else stream.once('close', () => resolve());
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why `file` cannot be run (as `exec` would find it, worded like Jenkins' error), or null when it can. */
async function executableProblem(file: string, path = ''): Promise<string | null> {
  const candidates = file.includes('/') ? [file] : path.split(':').filter(Boolean).map((dir) => join(dir, file));
  let denied = false;
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') denied = true; // exists, not executable
    }
  }
  return denied ? 'error=13, Permission denied (EACCES)' : 'error=2, No such file or directory (ENOENT)';
}
