/**
 * The master's one git command: `git ls-remote` of a repository Poll SCM watches. The URL comes
 * from a job document (people's input), so it runs as carefully as a command with input can:
 * a fixed, clean environment (no inherited GIT_*, HOME a temp dir, no system or global config,
 * no terminal prompt), `--` before the URL (never an option), only the transports git allows by
 * default (`ext::` refused; `file://` only where JONKKINS_ALLOW_LOCAL_CHECKOUT allows it: a job's
 * URL would otherwise read the master's own disk, as Jenkins' SECURITY-2478), credentials through
 * GIT_ASKPASS reading files of its own temp dir (never argv, never the URL), a time limit, and a
 * bound on what it may print.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CredentialSecret } from '../../../shared/src/credentials.ts';

export const LS_REMOTE_TIMEOUT_MS = 30_000;
/** 8 MiB of refs is ~100,000 branches and tags. */
export const LS_REMOTE_MAX_BYTES = 8 * 1024 * 1024;

export class LsRemoteError extends Error {}

export interface LsRemoteOptions {
  /** The git executable (JONKKINS_GIT; tests put a counting wrapper here). */
  git: string;
  credential?: CredentialSecret | null;
  timeoutMs?: number;
  maxBytes?: number;
  /** file:// repositories on this machine may be read (Jenkins' ALLOW_LOCAL_CHECKOUT). */
  allowLocal?: boolean;
}

/** What a poll of a repository on the master's disk says when that is not allowed. */
export const LOCAL_REFUSED = "polling a repository on the master's own disk (file://) is not allowed: serve it over https or ssh, or set JONKKINS_ALLOW_LOCAL_CHECKOUT=true (Jenkins: hudson.plugins.git.GitSCM.ALLOW_LOCAL_CHECKOUT)";

/** The remote's branches and tags, ref → sha. */
export async function lsRemote(url: string, opts: LsRemoteOptions): Promise<Map<string, string>> {
  // The job schema lets only URLs with a scheme or user@host:path through; of those, file:// is local.
  if (!opts.allowLocal && /^file:/i.test(url)) throw new LsRemoteError(LOCAL_REFUSED);
  const dir = await mkdtemp(join(tmpdir(), 'jk-ls-remote-'));
  try {
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: dir,
      LANG: 'C',
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROTOCOL_FROM_USER: '0',
      GIT_ALLOW_PROTOCOL: opts.allowLocal ? 'http:https:ssh:git:file' : 'http:https:ssh:git',
      GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new',
    };
    await withCredential(dir, env, opts.credential ?? null);
    const out = await run(opts.git, ['-c', 'credential.helper=', 'ls-remote', '--heads', '--tags', '--refs', '--', url], env, opts.timeoutMs ?? LS_REMOTE_TIMEOUT_MS, opts.maxBytes ?? LS_REMOTE_MAX_BYTES);
    const heads = new Map<string, string>();
    for (const line of out.split('\n')) {
      const m = /^([0-9a-f]{40,64})\t(refs\/\S+)$/.exec(line);
      if (m) heads.set(m[2]!, m[1]!);
    }
    return heads;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Puts the credential where git asks for it: askpass answers from 0600 files; an SSH key goes in a 0600 file. */
async function withCredential(dir: string, env: Record<string, string>, credential: CredentialSecret | null): Promise<void> {
  if (!credential) return;
  if (credential.kind === 'usernamePassword' || credential.kind === 'secretText') {
    const username = credential.kind === 'usernamePassword' ? credential.username : 'x-access-token';
    const password = credential.kind === 'usernamePassword' ? credential.password : credential.secret;
    await writeFile(join(dir, 'username'), username, { mode: 0o600 });
    await writeFile(join(dir, 'password'), password, { mode: 0o600 });
    const askpass = join(dir, 'askpass.sh');
    await writeFile(askpass, `#!/bin/sh\ncase "$1" in [Uu]sername*) cat '${dir}/username' ;; *) cat '${dir}/password' ;; esac\n`, { mode: 0o700 });
    await chmod(askpass, 0o700);
    env.GIT_ASKPASS = askpass;
    env.SSH_ASKPASS = askpass;
  } else if (credential.kind === 'sshPrivateKey') {
    const key = join(dir, 'id_key');
    await writeFile(key, credential.privateKey.endsWith('\n') ? credential.privateKey : `${credential.privateKey}\n`, { mode: 0o600 });
    env.GIT_SSH_COMMAND = `ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o IdentitiesOnly=yes -o UserKnownHostsFile='${dir}/known_hosts' -i '${key}' -l '${credential.username.replaceAll("'", '')}'`;
  } else {
    throw new LsRemoteError(`a ${credential.kind} credential cannot authenticate to a git remote`);
  }
}

/**
 * Runs git in a process group of its own: its helpers (git-remote-https, ssh) hold the output pipe
 * too, so a time limit or an output bound kills the whole group, not git alone.
 */
function run(git: string, args: string[], env: Record<string, string>, timeoutMs: number, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(git, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    let stopped: 'timeout' | 'output' | null = null;
    const killGroup = (why: 'timeout' | 'output') => {
      stopped ??= why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(() => killGroup('timeout'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > maxBytes) killGroup('output');
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 4096) err += b.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new LsRemoteError(`cannot run git: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (stopped === 'output') return reject(new LsRemoteError(`git ls-remote printed more than ${maxBytes} bytes`));
      if (stopped === 'timeout') return reject(new LsRemoteError(`git ls-remote did not finish within ${timeoutMs / 1000} s`));
      if (code !== 0) return reject(new LsRemoteError(`git ls-remote failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`));
      resolve(Buffer.concat(out).toString('utf8'));
    });
  });
}
