/**
 * Starts build steps through the agent's step launcher (worker/launcher/step-launcher.js), a small
 * process the agent starts once: forking the agent itself cost about a third of its CPU per
 * build (copying its page tables, then a copy-on-write fault for every page it wrote next). The
 * launcher is the parent of the steps; the agent learns each step's pid (to signal its process
 * group) and its exit from the launcher's messages.
 *
 * Where the launcher cannot be started, `launchStep` answers undefined and the caller spawns the
 * step itself. If the launcher dies, the steps it started are told to have been killed (their
 * process groups are then cleaned up as after any step) and the next launch starts a new one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface LaunchedStep {
  pid: number;
  /** Exit code and signal, as ChildProcess's 'exit' gives them. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

export class LaunchError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

const LAUNCHER = fileURLToPath(new URL('../../launcher/step-launcher.js', import.meta.url));
/** No launcher after a failure to start one: the agent spawns steps itself from then on. */
let unavailable = false;
let launcher: { child: ChildProcess; ready: Promise<boolean> } | undefined;
let nextId = 1;
interface Pending {
  started(pid: number): void;
  failed(err: LaunchError): void;
  exited?: (status: [number | null, NodeJS.Signals | null]) => void;
}
const pending = new Map<number, Pending>();

type Message = { id: number; pid?: number; error?: string; code?: string; exit?: [number | null, NodeJS.Signals | null] };

function start(): { child: ChildProcess; ready: Promise<boolean> } {
  const child = fork(LAUNCHER, [], {
    // Small and single-threaded: it forks, and holds nothing.
    execArgv: ['--single-threaded', '--max-semi-space-size=1'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'json',
  });
  const ready = new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  child.on('message', (msg: Message) => {
    const p = pending.get(msg.id);
    if (!p) return;
    if (msg.pid !== undefined) p.started(msg.pid);
    else if (msg.error !== undefined) {
      pending.delete(msg.id);
      p.failed(new LaunchError(msg.error, msg.code));
    } else if (msg.exit) {
      pending.delete(msg.id);
      p.exited?.(msg.exit);
    }
    if (pending.size === 0) child.channel?.unref(); // nothing to wait for: the agent may exit
  });
  child.once('exit', () => {
    if (launcher?.child === child) launcher = undefined;
    // Its steps are orphans now: report them killed, so their groups are cleaned up like any step's.
    for (const [id, p] of pending) {
      pending.delete(id);
      if (p.exited) p.exited([null, 'SIGKILL']);
      else p.failed(new LaunchError('the step launcher stopped'));
    }
  });
  child.on('error', () => {});
  // The agent's life is not tied to it: its exit closes the channel, and the launcher then exits.
  child.unref();
  child.channel?.unref();
  return { child, ready };
}

/** The launcher's pid while one runs (for tests and diagnostics). */
export function launcherPid(): number | undefined {
  return launcher?.child.pid;
}

/**
 * Starts `file args` in its own process group, with `output` as its stdout and stderr (the socket
 * is handed over: the caller's copy is closed). Undefined: no launcher here, spawn it yourself.
 * Throws a LaunchError when the step could not be started (e.g. ENOENT), like spawn's 'error'.
 */
export async function launchStep(file: string, args: string[], opts: { cwd: string; env: Record<string, string> }, output: Socket): Promise<LaunchedStep | undefined> {
  if (unavailable) return undefined;
  launcher ??= start();
  const { child, ready } = launcher;
  if (!(await ready)) {
    unavailable = true;
    launcher = undefined;
    return undefined;
  }
  const id = nextId++;
  child.channel?.ref(); // a step's start and exit are awaited: keep the agent's event loop alive for them
  return new Promise<LaunchedStep>((resolve, reject) => {
    const p: Pending = {
      started: (pid) => resolve({ pid, exited: new Promise((done) => (p.exited = done)) }),
      failed: reject,
    };
    pending.set(id, p);
    child.send({ id, file, args, cwd: opts.cwd, env: opts.env }, output, (err) => {
      if (!err) return;
      pending.delete(id);
      if (pending.size === 0) child.channel?.unref();
      reject(new LaunchError(`cannot reach the step launcher: ${err.message}`));
    });
  });
}
