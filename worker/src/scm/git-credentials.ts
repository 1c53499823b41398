/**
 * Hands a checkout's credential to git without ever putting it in a URL, an argument list, an
 * environment variable or the console: the secret is written to 0600 files in a 0700 directory of
 * the build's (under the agent's tmp, never the workspace), read by an askpass helper (HTTPS user
 * and password; an SSH key's passphrase) or named by GIT_SSH_COMMAND (the key file), and the
 * directory is removed when the checkout ends.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CredentialSecret } from '../../../shared/src/credentials.ts';

/** How ssh checks the server's host key (Jenkins' "Git Host Key Verification Configuration"). */
export interface SshHostKeys {
  /**
   * known-hosts: only hosts in the known-hosts file (default; Jenkins' "Known hosts file");
   * accept-new: remember a host's key the first time, refuse a changed one ("Accept first connection");
   * off: no verification ("No verification"; only for trusted networks).
   */
  verification: 'known-hosts' | 'accept-new' | 'off';
  /** The known-hosts file (default ~/.ssh/known_hosts of the agent's user; accept-new: <workdir>/known_hosts). */
  knownHostsFile?: string;
}

/** JONKKINS_GIT_HOST_KEY_VERIFICATION and JONKKINS_GIT_KNOWN_HOSTS of the agent's environment. */
export function hostKeysFromEnv(env: Record<string, string | undefined>, workdir: string): SshHostKeys {
  const v = env.JONKKINS_GIT_HOST_KEY_VERIFICATION ?? 'known-hosts';
  const verification = v === 'accept-new' || v === 'off' ? v : 'known-hosts';
  const file = env.JONKKINS_GIT_KNOWN_HOSTS || undefined;
  return { verification, knownHostsFile: file ?? (verification === 'accept-new' ? join(workdir, 'known_hosts') : undefined) };
}

export interface GitCredentialSetup {
  /** Added to the git environment. */
  env: Record<string, string>;
  /** Console lines that say which credential is used (never its secret). */
  lines: string[];
  dispose(): Promise<void>;
}

/** Single-quoted for /bin/sh (GIT_SSH_COMMAND is run by a shell). */
const sq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export const isSshUrl = (url: string) => /^ssh:\/\//.test(url) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(url);

/**
 * Prepares git's environment for `url` with `credential` (absent: none, but ssh still gets the
 * host key policy). Throws a clear Error when the credential's kind cannot serve the URL.
 */
export async function prepareCredentials(url: string, id: string | undefined, credential: CredentialSecret | undefined, hostKeys: SshHostKeys, tmpRoot: string): Promise<GitCredentialSetup> {
  await mkdir(tmpRoot, { recursive: true });
  const dir = await mkdtemp(join(tmpRoot, 'git-cred-'));
  await chmod(dir, 0o700);
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const env: Record<string, string> = {};
    const lines: string[] = [];
    const secretFile = async (name: string, content: string) => {
      const path = join(dir, name);
      await writeFile(path, content, { mode: 0o600 });
      return path;
    };
    const askpass = async (answers: { username?: string; password: string }) => {
      const pass = await secretFile('password', answers.password);
      const user = answers.username === undefined ? undefined : await secretFile('username', answers.username);
      const script = join(dir, 'askpass.sh');
      // git asks "Username for '…': " and "Password for '…': "; ssh asks for the key's passphrase.
      const body = user ? `case "$1" in\n  [Uu]sername*) cat ${sq(user)} ;;\n  *) cat ${sq(pass)} ;;\nesac\n` : `cat ${sq(pass)}\n`;
      await writeFile(script, `#!/bin/sh\n${body}`, { mode: 0o700 });
      return script;
    };
    const ssh = isSshUrl(url);
    if (credential && !ssh) {
      if (credential.kind !== 'usernamePassword') throw new Error(`credential '${id}' is a ${credential.kind} credential; ${url} needs a username and password`);
      env.GIT_ASKPASS = await askpass({ username: credential.username, password: credential.password });
      lines.push(`using credential ${id}\n`, 'using GIT_ASKPASS to set credentials\n');
    }
    if (ssh) {
      const options = [...sshHostKeyOptions(hostKeys), '-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no'];
      if (credential) {
        if (credential.kind !== 'sshPrivateKey') throw new Error(`credential '${id}' is a ${credential.kind} credential; ${url} needs an SSH private key`);
        const key = await secretFile('key', credential.privateKey.endsWith('\n') ? credential.privateKey : `${credential.privateKey}\n`);
        options.push('-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-i', key, '-o', `User=${credential.username}`);
        if (credential.passphrase) {
          env.SSH_ASKPASS = await askpass({ password: credential.passphrase });
          env.SSH_ASKPASS_REQUIRE = 'force';
        } else options.push('-o', 'BatchMode=yes');
        lines.push(`using credential ${id}\n`, 'using GIT_SSH to set credentials\n');
      } else options.push('-o', 'BatchMode=yes');
      env.GIT_SSH_COMMAND = ['ssh', ...options].map((o) => (/^[A-Za-z0-9=_.,:/-]+$/.test(o) ? o : sq(o))).join(' ');
      env.GIT_SSH_VARIANT = 'ssh';
    }
    return { env, lines, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

function sshHostKeyOptions(h: SshHostKeys): string[] {
  if (h.verification === 'off') return ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
  const file = h.knownHostsFile ?? join(homedir(), '.ssh', 'known_hosts');
  return ['-F', '/dev/null', '-o', `StrictHostKeyChecking=${h.verification === 'accept-new' ? 'accept-new' : 'yes'}`, '-o', `UserKnownHostsFile=${file}`];
}
