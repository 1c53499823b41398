/**
 * Runs the system `git` for a checkout with a clean, fixed environment: no system or user
 * configuration, no terminal prompt, no hooks or fsmonitor, no discovery above the workspace. Every
 * command is an argument list (never a shell line) whose user-given words follow `--` or were
 * refused by the scm schema, so a URL or branch cannot become an option. Its output goes to the
 * console as it comes; what it prints is masked by the caller. Like build steps, git is started
 * by the agent's step launcher (steps/step-launcher.ts: forking the agent itself is dear), its
 * stdout and stderr one socket; a command whose answer is read writes its stdout to a file of the
 * build's instead, so its stderr still reaches the console. Without a launcher, the agent spawns it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { openOutputPair } from '../steps/output-socket.ts';
import { launchStep } from '../steps/step-launcher.ts';

/** Jenkins' git plugin gives each git command 10 minutes. */
export const GIT_TIMEOUT_MS = 10 * 60_000;
/** The most stdout a command's answer may be when it is read (git log of a bounded change set). */
const MAX_CAPTURE_BYTES = 64 * 1024 * 1024;

/** Always on the command line: settings a repository's own config must not change for us. */
const FIXED_CONFIG = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'credential.helper=', '-c', 'protocol.ext.allow=never', '-c', 'color.ui=false'];

export interface GitContext {
  /** The workspace (the work tree; its .git is the clone). */
  workspace: string;
  /** The fixed environment (gitEnvironment) plus what the credentials add. */
  env: Record<string, string>;
  /** A console line (the caller masks it). */
  say(text: string): void;
  /** git's own output, as bytes (the caller masks it). */
  output(chunk: Buffer): void;
  signal: AbortSignal;
  /** A private directory of the build's for answers read from files. */
  scratch: string;
}

export class GitError extends Error {
  readonly code: number | null;
  constructor(message: string, code: number | null) {
    super(message);
    this.code = code;
  }
}

/**
 * The environment every git command of a checkout gets: nothing of the agent's besides PATH.
 * `home` is an empty directory of the build's (no ~/.gitconfig, no ~/.git-credentials).
 */
export function gitEnvironment(path: string, home: string, workspace: string): Record<string, string> {
  return {
    PATH: path,
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // A workspace without its own .git never finds one above it (the agent's workdir may be in a repository).
    GIT_CEILING_DIRECTORIES: dirname(workspace),
    // Without credentials, a server asking for them gets nothing and the fetch fails at once.
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
  };
}

export interface GitRun {
  /** Print ` > git …` first (Jenkins does for every command). Default true. */
  show?: boolean;
  /** Read stdout and answer it instead of sending it to the console. */
  capture?: boolean;
  /** A non-zero exit is an answer, not an error. */
  allowFailure?: boolean;
  /** Replaces ctx.env for this command (e.g. submodules without credentials). */
  env?: Record<string, string>;
}

/** Runs `git <args>` in the workspace; answers its exit code and (with capture) its stdout. */
export async function git(ctx: GitContext, args: string[], opts: GitRun = {}): Promise<{ code: number; stdout: Buffer }> {
  if (opts.show !== false) ctx.say(` > git ${args.join(' ')} # timeout=10\n`);
  if (ctx.signal.aborted) throw new GitError('the build was aborted', null);
  const env = opts.env ?? ctx.env;
  const answer = opts.capture ? join(ctx.scratch, `answer-${randomBytes(8).toString('hex')}`) : undefined;
  const launched = await launchGit([...FIXED_CONFIG, ...args], env, ctx.workspace, answer);
  if (!launched) return spawnGit(ctx, args, opts, env);
  try {
    const [code, signal, timedOut] = await supervise(ctx, launched.pid, launched.exited, launched.output, ctx.output);
    let stdout = Buffer.alloc(0);
    if (answer) {
      const size = (await stat(answer).catch(() => null))?.size ?? 0;
      if (size > MAX_CAPTURE_BYTES) throw new GitError(`git ${args[0]} answered more than ${MAX_CAPTURE_BYTES} bytes`, null);
      stdout = size > 0 ? await readFile(answer) : stdout;
    }
    return finished(ctx, args, opts, code, signal, timedOut, stdout);
  } finally {
    if (answer) await rm(answer, { force: true });
  }
}

/** Starts git through the step launcher in a process group of its own; undefined: no launcher here. */
async function launchGit(args: string[], env: Record<string, string>, cwd: string, answer: string | undefined) {
  const pair = await openOutputPair();
  if (!pair) return undefined;
  // An answer read from a file: only stderr goes to the socket.
  const [file, argv] = answer ? ['/bin/sh', ['-c', 'out=$1; shift; exec git "$@" >"$out"', 'git', answer, ...args]] : ['git', args];
  try {
    const launched = await launchStep(file, argv, { cwd, env }, pair.writeEnd);
    if (!launched) {
      pair.writeEnd.destroy();
      pair.readEnd.destroy();
      return undefined;
    }
    return { pid: launched.pid, exited: launched.exited, output: pair.readEnd as Readable };
  } catch (err) {
    pair.writeEnd.destroy();
    pair.readEnd.destroy();
    throw new GitError(`cannot run git: ${(err as Error).message}`, null);
  }
}

/** After git exited: its output is done once nothing more arrived for this long. */
const OUTPUT_IDLE_MS = 100;

/** Resolves once `stream` has sent no data for `ms` (each chunk starts the wait again). */
function quietFor(stream: Readable, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, ms);
    function done() {
      stream.off('data', again);
      resolve();
    }
    function again() {
      clearTimeout(timer);
      timer = setTimeout(done, ms);
    }
    stream.on('data', again);
  });
}

/** Output to the console until git exits (and its output ends), killing its group on abort or timeout. */
async function supervise(ctx: GitContext, pid: number, exited: Promise<[number | null, NodeJS.Signals | null]>, output: Readable, onOutput: (c: Buffer) => void): Promise<[number | null, NodeJS.Signals | null, boolean]> {
  let timedOut = false;
  const kill = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  const ended = new Promise<void>((resolve) => output.once('close', () => resolve()));
  output.on('data', onOutput);
  output.on('error', () => {});
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, GIT_TIMEOUT_MS);
  ctx.signal.addEventListener('abort', kill, { once: true });
  try {
    const [code, signal] = await exited;
    kill(); // what it left behind (an ssh multiplexer) dies with it, and lets the output end
    // What git wrote before it exited is readable now: wait for the end of the output, but not for a
    // copy of the socket that another process may still hold (seen: a 2 s stall every few checkouts).
    await Promise.race([ended, quietFor(output, OUTPUT_IDLE_MS), new Promise((r) => setTimeout(r, 2000).unref())]);
    return [code, signal, timedOut];
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', kill);
    output.destroy();
  }
}

function finished(ctx: GitContext, args: string[], opts: GitRun, code: number | null, signal: NodeJS.Signals | null, timedOut: boolean, stdout: Buffer) {
  if (ctx.signal.aborted) throw new GitError('the build was aborted', null);
  if (signal || timedOut) throw new GitError(`git ${args[0]} was killed (${timedOut ? 'it ran for more than 10 minutes' : signal})`, null);
  if (code !== 0 && !opts.allowFailure) throw new GitError(`Command "git ${args.join(' ')}" returned status code ${code}`, code);
  return { code: code ?? 0, stdout };
}

/** Without a launcher: the agent spawns git itself. */
function spawnGit(ctx: GitContext, args: string[], opts: GitRun, env: Record<string, string>): Promise<{ code: number; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    // Its own process group: an abort or timeout also ends ssh and git-remote-https under it.
    const child = spawn('git', [...FIXED_CONFIG, ...args], { cwd: ctx.workspace, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const captured: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (!opts.capture) return ctx.output(chunk);
      size += chunk.length;
      if (size > MAX_CAPTURE_BYTES) {
        tooBig = true;
        kill();
      } else captured.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => ctx.output(chunk));
    let timedOut = false;
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, GIT_TIMEOUT_MS);
    ctx.signal.addEventListener('abort', kill, { once: true });
    child.once('error', (err) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', kill);
      reject(new GitError(`cannot run git: ${err.message}`, null));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', kill);
      if (tooBig) return reject(new GitError(`git ${args[0]} answered more than ${MAX_CAPTURE_BYTES} bytes`, null));
      try {
        resolve(finished(ctx, args, opts, code, signal, timedOut, Buffer.concat(captured)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** `git … ` answering its first line of stdout, trimmed (no console output besides errors). */
export async function gitLine(ctx: GitContext, args: string[], opts: GitRun = {}): Promise<string | null> {
  const { code, stdout } = await git(ctx, args, { ...opts, capture: true });
  return code === 0 ? stdout.toString('utf8').split('\n')[0]!.trim() : null;
}
