/**
 * A build's credentials on the agent (Jenkins' credentials-binding and ssh-agent plugins). The
 * master sends exactly the credentials the build's job names (BuildSpec.credentials) and masks
 * them all (BuildSpec.masks); this module makes them available to the steps and takes them away
 * again when the build ends, however it ends:
 *  - secretText / usernamePassword bindings become environment variables;
 *  - sshKey / file bindings become files of mode 0600 under WORKSPACE_TMP (`<workspace>@tmp`,
 *    in `secretFiles/<build>/`, a 0700 directory), their paths in the variables;
 *  - `sshAgent` starts Debian's ssh-agent (its socket in a private 0700 directory) and adds each
 *    key with `ssh-add -` reading the key on stdin; a passphrase comes through SSH_ASKPASS
 *    (SSH_ASKPASS_REQUIRE=force) from a 0600 file read once — never an argument. SSH_AUTH_SOCK and
 *    SSH_AGENT_PID go to the steps.
 * `release()` removes the files and stops the ssh-agent. A workspace belongs to one build at a
 * time, so whatever a dead agent left under its `secretFiles/` is removed when the next build there
 * binds a credential; an ssh-agent it left carries the agent's cookie and dies with the next
 * agent's start-up.
 *
 * For other agent code (the git checkout): `get(credentialsId)` reads a credential the spec carries,
 * `writeFile(name, content)` writes a 0600 file under WORKSPACE_TMP that release() removes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { BuildSpec } from '../../shared/src/agent-protocol.ts';
import type { CredentialKind, CredentialSecret } from '../../shared/src/credentials.ts';
import { AGENT_COOKIE_VAR } from './stray-processes.ts';

/** Where secret files go under WORKSPACE_TMP (Jenkins' credentials-binding uses the same name). */
export const SECRET_FILES_DIR = 'secretFiles';
const START_TIMEOUT_MS = 10_000;

export interface BindOptions {
  /** The steps' PATH, to find ssh-agent and ssh-add. */
  path: string | undefined;
  /** The agent's cookie: an ssh-agent left by a dead agent is killed by the next one (stray-processes.ts). */
  agentCookie: string;
  /** A console line (it goes through the build's masker). */
  say(text: string): void;
}

export class BuildCredentials {
  readonly #credentials: BuildSpec['credentials'];
  /** `<workspace>@tmp`: WORKSPACE_TMP. */
  readonly workspaceTmp: string;
  /** This build's directory of secret files. */
  readonly #dir: string;
  #files = 0;
  #sshAgent: { child: ChildProcess; dir: string } | undefined;
  #released = false;

  constructor(credentials: BuildSpec['credentials'], workspaceTmp: string) {
    this.#credentials = credentials;
    this.workspaceTmp = workspaceTmp;
    this.#dir = join(workspaceTmp, SECRET_FILES_DIR, randomUUID());
  }

  /** A credential of this build's spec; the master sent exactly those its job names. */
  get(credentialsId: string): CredentialSecret {
    const secret = Object.hasOwn(this.#credentials, credentialsId) ? this.#credentials[credentialsId] : undefined;
    if (!secret) throw new Error(`the master sent no credential '${credentialsId}' with this build`);
    return secret;
  }

  /** Writes `content` to a new 0600 file named `name` under WORKSPACE_TMP; answers its path. release() removes it. */
  async writeFile(name: string, content: string | Uint8Array): Promise<string> {
    if (this.#released) throw new Error('the build has released its credentials');
    if (!/^[^/\0]{1,255}$/.test(name) || name === '.' || name === '..') throw new Error(`refusing the secret file name ${JSON.stringify(name)}`);
    const dir = join(this.#dir, String(++this.#files));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, name);
    await writeFile(path, content, { mode: 0o600, flag: 'wx' });
    return path;
  }

  /**
   * Makes the job's bindings before the first step: answers the variables to add to the steps'
   * environment. Throws (the build fails) when a credential is missing or of the wrong kind.
   */
  async bind(spec: Pick<BuildSpec, 'credentialBindings' | 'sshAgent'>, opts: BindOptions): Promise<Record<string, string>> {
    if (spec.credentialBindings.length === 0 && spec.sshAgent.length === 0) return {}; // most builds: no file system calls
    // Left by builds that died with their agent: this workspace is ours now.
    await rm(join(this.workspaceTmp, SECRET_FILES_DIR), { recursive: true, force: true });
    await mkdir(this.workspaceTmp, { recursive: true });
    const vars: Record<string, string> = {};
    for (const b of spec.credentialBindings) {
      if (b.type === 'secretText') vars[b.variable] = this.#of(b.credentialsId, 'secretText').secret;
      else if (b.type === 'usernamePassword') {
        const c = this.#of(b.credentialsId, 'usernamePassword');
        vars[b.usernameVariable] = c.username;
        vars[b.passwordVariable] = c.password;
      } else if (b.type === 'sshKey') {
        const c = this.#of(b.credentialsId, 'sshPrivateKey');
        vars[b.keyFileVariable] = await this.writeFile(`${b.credentialsId}.key`, withNewline(c.privateKey));
        if (b.usernameVariable) vars[b.usernameVariable] = c.username;
      } else {
        const c = this.#of(b.credentialsId, 'secretFile');
        vars[b.variable] = await this.writeFile(c.fileName, Buffer.from(c.content, 'base64'));
      }
    }
    if (spec.sshAgent.length > 0) Object.assign(vars, await this.#startSshAgent(spec.sshAgent, opts));
    return vars;
  }

  /** Stops the ssh-agent and removes every secret file; safe to call more than once, never throws. */
  async release(): Promise<void> {
    this.#released = true;
    const agent = this.#sshAgent;
    this.#sshAgent = undefined;
    if (agent) {
      await stop(agent.child);
      await rm(agent.dir, { recursive: true, force: true }).catch(() => {});
    }
    // Most builds write no secret file: no file system call for them (rm -r of a missing path still walks it).
    if (this.#files > 0) await rm(this.#dir, { recursive: true, force: true }).catch(() => {});
  }

  #of<K extends CredentialKind>(credentialsId: string, kind: K): Extract<CredentialSecret, { kind: K }> {
    const secret = this.get(credentialsId);
    if (secret.kind !== kind) throw new Error(`credential '${credentialsId}' is a ${secret.kind} credential, not ${kind}`);
    return secret as Extract<CredentialSecret, { kind: K }>;
  }

  async #startSshAgent(ids: readonly string[], opts: BindOptions): Promise<Record<string, string>> {
    const keys = ids.map((id) => ({ id, key: this.#of(id, 'sshPrivateKey') }));
    // A socket path must stay under 108 bytes: a private directory in /tmp, not the workspace.
    const dir = await mkdtemp(join(tmpdir(), 'jk-ssh-'));
    const socket = join(dir, 'agent.sock');
    const env = { PATH: opts.path ?? '/usr/local/bin:/usr/bin:/bin', [AGENT_COOKIE_VAR]: opts.agentCookie };
    const child = spawn('ssh-agent', ['-D', '-a', socket], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#sshAgent = { child, dir };
    await listening(child);
    const askpass = join(dir, 'askpass');
    // Answers once, then removes the passphrase: a wrong one makes ssh-add give up, not ask forever.
    await writeFile(askpass, '#!/bin/sh\nf="$(dirname "$0")/passphrase"\ncat "$f" 2>/dev/null\nrm -f "$f"\n', { mode: 0o700 });
    for (const { id, key } of keys) {
      if (key.passphrase) await writeFile(join(dir, 'passphrase'), key.passphrase, { mode: 0o600 });
      await sshAdd(withNewline(key.privateKey), { ...env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' }, id);
      await rm(join(dir, 'passphrase'), { force: true });
      opts.say(`[ssh-agent] added the key of credential '${id}' (${key.username})\n`);
    }
    return { SSH_AUTH_SOCK: socket, SSH_AGENT_PID: String(child.pid) };
  }
}

const withNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

/** Resolves once ssh-agent listens (it prints SSH_AUTH_SOCK then); rejects if it exits or stays silent. */
async function listening(child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`ssh-agent did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ssh-agent (install Debian's openssh-client): ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ssh-agent exited (${code}): ${stderr.trim()}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('SSH_AUTH_SOCK')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** `ssh-add -`: the key on stdin. */
async function sshAdd(key: string, env: Record<string, string>, id: string): Promise<void> {
  const child = spawn('ssh-add', ['-'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => void (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (output += d.toString()));
  child.stdin.end(key);
  const [code] = (await Promise.race([
    once(child, 'exit'),
    once(child, 'error').then(([err]) => Promise.reject(new Error(`cannot run ssh-add (install Debian's openssh-client): ${(err as Error).message}`))),
  ])) as [number | null];
  if (code !== 0) throw new Error(`ssh-add could not add the key of credential '${id}': ${output.trim() || `exit ${code}`}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
