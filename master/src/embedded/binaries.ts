// Small process helpers shared by the embedded PostgreSQL and Redis services.
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';

/** The directories of $PATH, then `extra` (system dirs that a service account's PATH often lacks, e.g. /usr/sbin). */
export function pathDirs(extra: string[] = []): string[] {
  return [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extra];
}

/** The first executable regular file called `name` in `dirs`, or undefined. */
export function findBinary(name: string, dirs: string[]): string | undefined {
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK); // as root X_OK also passes for directories, hence the isFile check
      if (statSync(file).isFile()) return file;
    } catch {
      // not here: try the next directory
    }
  }
  return undefined;
}

/**
 * A TCP port that was free a moment ago on `host`. Another process may still take it before the
 * service binds it, so callers retry a start that fails.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; resolves with its exit code instead of throwing. */
export function exec(file: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, encoding: 'utf8', env: opts.env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === -1 ? err.message : '') });
    });
  });
}

/** Like exec, but a non-zero exit is an Error carrying the program's own output. */
export async function run(file: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await exec(file, args, opts);
  if (r.code !== 0) throw new Error(`${[file, ...args].join(' ')} exited with ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** The last `bytes` of a log file, for error messages ('' if it cannot be read). */
export function tail(file: string, bytes = 1500): string {
  try {
    const text = readFileSync(file, 'utf8');
    return (text.length > bytes ? text.slice(text.indexOf('\n', text.length - bytes) + 1) : text).trim(); // whole lines only
  } catch {
    return '';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Whether `pid` is alive and its command line mentions `program` (guards against pids reused after a reboot). */
export function runsProgram(pid: number, program: string): boolean {
  try {
    return pid > 0 && isAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(program);
  } catch {
    return false;
  }
}
