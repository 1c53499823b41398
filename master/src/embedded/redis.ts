// Embedded Redis for `jonkkins start` without REDIS_URL: a private redis-server child on 127.0.0.1
// whose data (an AOF, fsynced every second) lives under JONKKINS_HOME/redis and so survives restarts.
// It has no password: any local user can connect.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { findBinary, freePort, isAlive, pathDirs, runsProgram, sleep, tail } from './binaries.ts';

export interface EmbeddedRedis {
  url: string;
  stop(): Promise<void>;
}
export interface EmbeddedRedisOptions {
  home: string;
  log: Logger;
  /** Where to look for redis-server; default: $PATH, then /usr/bin, /usr/sbin, /usr/local/bin. */
  binDirs?: string[];
}

export async function startEmbeddedRedis({ home, log, binDirs }: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const bin = findBinary('redis-server', binDirs ?? pathDirs(['/usr/bin', '/usr/sbin', '/usr/local/bin']));
  if (!bin) {
    throw new Error('redis-server was not found on PATH or in /usr/bin, /usr/sbin, /usr/local/bin: install it (apt-get install redis-server on Debian/Ubuntu) or set REDIS_URL to an existing Redis.');
  }
  const t0 = Date.now();
  const dir = join(home, 'redis');
  const logFile = join(home, 'redis.log');
  const pidFile = join(dir, 'redis-server.pid');
  await mkdir(dir, { recursive: true });
  await stopLeftover(pidFile, log); // two servers appending to one AOF would corrupt it

  for (let attempt = 1; ; attempt++) {
    const port = await freePort(); // may be taken before redis binds it, hence the retries
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec',
      '--save', '', '--daemonize', 'no', '--logfile', logFile, '--pidfile', pidFile];
    // detached: its own process group, so a Ctrl-C aimed at jonkkins does not kill Redis before stop() runs.
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    let exited = false;
    let stopping = false;
    let ready = false;
    const exit = new Promise<void>((resolve) => {
      child.on('error', (e) => { stderr += e.message; exited = true; resolve(); });
      child.on('exit', (code, signal) => {
        exited = true;
        if (!stopping && ready) log.error({ code, signal, logFile }, 'embedded Redis exited unexpectedly');
        resolve();
      });
    });
    ready = await waitForPing(port, () => exited);
    if (!ready) {
      if (!exited) child.kill('SIGKILL');
      await exit;
      if (attempt < 3) continue;
      throw new Error(`redis-server did not start: ${(stderr || tail(logFile)).trim()}`);
    }
    log.info({ dir, port, ms: Date.now() - t0 }, `embedded Redis: redis-server in ${dir}`);
    return {
      url: `redis://127.0.0.1:${port}`,
      async stop() {
        if (exited) return;
        stopping = true;
        await shutdown(port, child, exit);
      },
    };
  }
}

/** Polls PING until Redis answers, the child has exited, or 15 s pass. */
async function waitForPing(port: number, exited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (!exited() && Date.now() < deadline) {
    if (await ping(port)) return true;
    await sleep(25);
  }
  return false;
}

async function ping(port: number): Promise<boolean> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => {}); // refused connections are expected while it starts
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** SHUTDOWN (the AOF is flushed; nothing is saved since --save ''), then SIGTERM, then SIGKILL if it lingers. */
async function shutdown(port: number, child: ChildProcess, exit: Promise<void>): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.shutdown().catch(() => {}); // the server closes the connection instead of replying
  } catch {
    child.kill('SIGTERM'); // same orderly shutdown as SHUTDOWN
  } finally {
    client.disconnect();
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exit;
  clearTimeout(timer);
}

/** Stops a redis-server that an earlier run left behind (killed without stop()), found through its pid file. */
async function stopLeftover(pidFile: string, log: Logger): Promise<void> {
  let pid = 0;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return; // no pid file: the last run stopped cleanly
  }
  if (!runsProgram(pid, 'redis-server')) return; // dead, or the pid now belongs to an unrelated process
  log.warn({ pid }, 'embedded Redis: stopping a redis-server left running by an earlier run');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 300 && isAlive(pid); i++) await sleep(50);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
