/**
 * A real OpenSSH server on a loopback port for SSH checkouts: Debian's sshd run in the foreground
 * with its own config and host key in a temporary directory, accepting one client key for the
 * current user. Git over it is the real git-upload-pack of the repositories on disk.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, until } from './processes.ts';

const run = promisify(execFile);

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

/** A new ed25519 key pair (optionally with a passphrase). */
export async function sshKeyPair(passphrase = ''): Promise<KeyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'jk-key-'));
  try {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'jonkkins-test', '-f', join(dir, 'k')]);
    return { privateKey: await readFile(join(dir, 'k'), 'utf8'), publicKey: await readFile(join(dir, 'k.pub'), 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Sshd {
  port: number;
  /** The user sshd lets in (the one running the tests). */
  user: string;
  /** A known_hosts file that lists this server's host key. */
  knownHosts: string;
  /** ssh://user@127.0.0.1:port/<absolute path> */
  urlFor(path: string): string;
  close(): Promise<void>;
}

export async function startSshd(authorized: string[]): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'jk-sshd-'));
  await mkdir('/run/sshd', { recursive: true }); // sshd's privilege separation directory
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  await writeFile(join(dir, 'authorized_keys'), authorized.join('\n'), { mode: 0o600 });
  const port = await freePort();
  const config = [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'PubkeyAuthentication yes', 'LogLevel ERROR', 'MaxStartups 50',
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`);
  const hostKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  await until('sshd to listen', () => new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  }), 10_000, 50).catch((err: Error) => { throw new Error(`${err.message}: ${stderr}`); });
  const user = userInfo().username;
  return {
    port,
    user,
    knownHosts,
    urlFor: (path) => `ssh://${user}@127.0.0.1:${port}${path}`,
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
