/** Running the real `jonkkins` command as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const JONKKINS_BIN = fileURLToPath(new URL('../../bin/jonkkins.js', import.meta.url));

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `jonkkins …args` to completion. */
export async function runJonkkins(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Finished> {
  const child = spawnJonkkins(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout: child.output.stdout, stderr: child.output.stderr };
}

export type JonkkinsProcess = ChildProcess & { output: { stdout: string; stderr: string } };

export function spawnJonkkins(args: string[], env: Record<string, string> = {}): JonkkinsProcess {
  const child = spawn(process.execPath, [JONKKINS_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as JonkkinsProcess;
  child.output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (child.output.stdout += d));
  child.stderr!.on('data', (d) => (child.output.stderr += d));
  return child;
}

/** Stops a child with SIGTERM (SIGKILL after a grace period); resolves with its exit code. */
export async function stopProcess(child: ChildProcess, graceMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}

/**
 * The agent command the UI shows, typed into /bin/sh in a process group of its own (as in a terminal),
 * with `npx jonkkins` meaning this checkout's bin and `extra` arguments appended.
 */
export function runShownCommand(command: string, extra: string[] = [], env: Record<string, string> = {}) {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const line = `${command.replace('npx jonkkins', `${quote(process.execPath)} ${quote(JONKKINS_BIN)}`)} ${extra.map(quote).join(' ')}`;
  // Typed into a shell rather than given with -c, so that the shell's own command line does not carry it.
  const child = spawn('/bin/sh', [], { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env } });
  child.stdin!.end(`${line}\n`);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/**
 * Polls until the predicate holds (never asserting inside: ava counts every failed assertion,
 * even one a later poll would have passed). Throws with `what` when the deadline passes.
 */
export async function until(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
