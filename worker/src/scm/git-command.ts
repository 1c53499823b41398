/**
 * Runs the system `git` for a checkout with a clean, fixed environment: no system or user
 * configuration, no terminal prompt, no hooks or fsmonitor, no discovery above the workspace. Every
 * command is an argument list (never a shell line) whose user-given words follow `--` or were
 * refused by the scm schema, so a URL or branch cannot become an option. Its output goes to the
 * console as it comes; what it prints is masked by the caller.
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';

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
export function git(ctx: GitContext, args: string[], opts: GitRun = {}): Promise<{ code: number; stdout: Buffer }> {
  if (opts.show !== false) ctx.say(` > git ${args.join(' ')} # timeout=10\n`);
  return new Promise((resolve, reject) => {
    if (ctx.signal.aborted) return reject(new GitError('the build was aborted', null));
    // Its own process group: an abort or timeout also ends ssh and git-remote-https under it.
    const child = spawn('git', [...FIXED_CONFIG, ...args], { cwd: ctx.workspace, env: opts.env ?? ctx.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(kill, GIT_TIMEOUT_MS);
    const onAbort = () => kill();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      reject(new GitError(`cannot run git: ${err.message}`, null));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      if (ctx.signal.aborted) return reject(new GitError('the build was aborted', null));
      if (tooBig) return reject(new GitError(`git ${args[0]} answered more than ${MAX_CAPTURE_BYTES} bytes`, null));
      if (signal) return reject(new GitError(`git ${args[0]} was killed (${signal === 'SIGKILL' ? 'it ran for more than 10 minutes' : signal})`, null));
      if (code !== 0 && !opts.allowFailure) return reject(new GitError(`Command "git ${args.join(' ')}" returned status code ${code}`, code));
      resolve({ code: code ?? 0, stdout: Buffer.concat(captured) });
    });
  });
}

/** `git … ` answering its first line of stdout, trimmed (no console output besides errors). */
export async function gitLine(ctx: GitContext, args: string[], opts: GitRun = {}): Promise<string | null> {
  const { code, stdout } = await git(ctx, args, { ...opts, capture: true });
  return code === 0 ? stdout.toString('utf8').split('\n')[0]!.trim() : null;
}
