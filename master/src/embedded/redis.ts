// Embedded Redis for `jonkkins start` without REDIS_URL: a private redis-server child whose data (an
// AOF, fsynced every second) lives under JONKKINS_HOME/redis and so survives restarts. It keeps its
// port across restarts (JONKKINS_HOME/redis/port), so agents keep reaching it after the master
// restarts. It binds 127.0.0.1 unless told otherwise (JONKKINS_REDIS_HOST, for agents on other
// machines). Its default user — the master's — has a password kept in JONKKINS_HOME/redis
// (mode 0600, handed to redis-server in a 0600 config file, never on a command line); agents get
// users of their own (master/src/agents/agent-redis.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { findBinary, freePort, isAlive, pathDirs, runsProgram, sleep, tail } from './binaries.ts';

export interface EmbeddedRedis {
  /** The master's URL, with the default user's password. */
  url: string;
  /** Where agents reach it, without credentials (each agent gets a user of its own). */
  agentUrl: string;
  port: number;
  stop(): Promise<void>;
}
export interface EmbeddedRedisOptions {
  home: string;
  log: Logger;
  /** Where to look for redis-server; default: $PATH, then /usr/bin, /usr/sbin, /usr/local/bin. */
  binDirs?: string[];
  /** The address to bind (default 127.0.0.1; 0.0.0.0 or a machine's address for agents elsewhere). */
  host?: string;
  /** The port (default: the one it had last time, else a free one, which is then kept). */
  port?: number;
  /** The host name agents are told for a non-loopback bind address such as 0.0.0.0 (default: this machine's name). */
  advertiseHost?: string;
}

export async function startEmbeddedRedis({ home, log, binDirs, host = '127.0.0.1', port: fixedPort, advertiseHost }: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const bin = findBinary('redis-server', binDirs ?? pathDirs(['/usr/bin', '/usr/sbin', '/usr/local/bin']));
  if (!bin) {
    throw new Error('redis-server was not found on PATH or in /usr/bin, /usr/sbin, /usr/local/bin: install it (apt-get install redis-server on Debian/Ubuntu) or set REDIS_URL to an existing Redis.');
  }
  const t0 = Date.now();
  const dir = join(home, 'redis');
  const logFile = join(home, 'redis.log');
  const pidFile = join(dir, 'redis-server.pid');
  const portFile = join(dir, 'port');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await stopLeftover(pidFile, log); // two servers appending to one AOF would corrupt it
  const password = await keptPassword(join(dir, 'password'));
  const confFile = join(dir, 'redis.conf');
  await writeFile(confFile, `requirepass ${password}\n`, { mode: 0o600 });
  const lastPort = fixedPort ?? (Number(await readFile(portFile, 'utf8').catch(() => '')) || undefined);
  const wildcard = host === '0.0.0.0' || host === '::';
  const connectHost = wildcard ? '127.0.0.1' : host;

  for (let attempt = 1; ; attempt++) {
    // The last port first (agents know it); a fresh one if it is taken now (agents then ask the master again).
    const port = attempt === 1 && lastPort ? lastPort : await freePort(connectHost); // may be taken before redis binds it, hence the retries
    const args = [confFile, '--port', String(port), '--bind', host, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec',
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
    const server = { host: connectHost, port, password };
    ready = await waitForPing(server, () => exited);
    if (!ready) {
      if (!exited) child.kill('SIGKILL');
      await exit;
      if (fixedPort) throw new Error(`redis-server did not start on ${host}:${fixedPort} (JONKKINS_REDIS_PORT): ${(stderr || tail(logFile)).trim()}`);
      if (attempt === 1 && lastPort) log.warn({ port: lastPort }, 'embedded Redis: its port is taken now; taking another (agents ask the master where it went)');
      if (attempt < 4) continue;
      throw new Error(`redis-server did not start: ${(stderr || tail(logFile)).trim()}`);
    }
    if (port !== lastPort) await writeFile(portFile, `${port}\n`);
    log.info({ dir, host, port, ms: Date.now() - t0 }, `embedded Redis: redis-server in ${dir}`);
    const agentHost = wildcard ? (advertiseHost ?? hostname()) : host;
    return {
      url: `redis://:${password}@${urlHost(connectHost)}:${port}`,
      agentUrl: `redis://${urlHost(agentHost)}:${port}`,
      port,
      async stop() {
        if (exited) return;
        stopping = true;
        await shutdown(server, child, exit);
      },
    };
  }
}

interface Server {
  host: string;
  port: number;
  password: string;
}

/** The default user's password: made once, kept in a 0600 file. */
async function keptPassword(file: string): Promise<string> {
  const kept = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{64}$/.test(kept)) return kept;
  const fresh = randomBytes(32).toString('hex');
  await writeFile(file, `${fresh}\n`, { mode: 0o600 });
  return fresh;
}

const urlHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/** Polls PING until Redis answers, the child has exited, or 15 s pass. */
async function waitForPing(server: Server, exited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (!exited() && Date.now() < deadline) {
    if (await ping(server)) return true;
    await sleep(25);
  }
  return false;
}

// Timeouts: something else may hold the port and accept connections without ever answering.
const clientOf = ({ host, port, password }: Server) =>
  new Redis({ host, port, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1000, commandTimeout: 1000 });

async function ping(server: Server): Promise<boolean> {
  const client = clientOf(server);
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
async function shutdown(server: Server, child: ChildProcess, exit: Promise<void>): Promise<void> {
  const client = clientOf(server);
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
