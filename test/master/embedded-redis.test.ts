import test from 'ava';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../master/src/embedded/redis.ts';
import { until } from '../helpers/processes.ts';

/** A fresh home and a logger whose JSON lines the test can read; both cleaned up after the test. */
function setup(t: { teardown(fn: () => unknown): void }) {
  const home = mkdtempSync(join(tmpdir(), 'jk-redis-'));
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const started: EmbeddedRedis[] = [];
  const start = async () => {
    const r = await startEmbeddedRedis({ home, log });
    started.push(r);
    return r;
  };
  t.teardown(async () => {
    for (const r of started) await r.stop();
    rmSync(home, { recursive: true, force: true });
  });
  return { home, lines, start };
}

async function withClient<T>(url: string, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

test('a key written to embedded Redis survives a stop and start (AOF)', async (t) => {
  const { home, start } = setup(t);
  const first = await start();
  t.regex(first.url, /^redis:\/\/:[0-9a-f]{64}@127\.0\.0\.1:\d+$/);
  t.is(first.agentUrl, `redis://127.0.0.1:${first.port}`); // agents get no password: users of their own
  await withClient(first.url, (c) => c.set('build:1', 'queued'));
  await first.stop();
  t.true(existsSync(join(home, 'redis', 'appendonlydir')));
  t.true(existsSync(join(home, 'redis.log')));

  const second = await start();
  t.is(await withClient(second.url, (c) => c.get('build:1')), 'queued');
  t.is(second.url, first.url); // same port, same password: agents that knew it keep reaching it
});

test('the master\'s default user needs the password kept in JONKKINS_HOME (0600), which no command line shows', async (t) => {
  const { home, start } = setup(t);
  const r = await start();
  const password = new URL(r.url).password;
  const noPassword = new Redis(r.agentUrl, { maxRetriesPerRequest: 0, enableReadyCheck: false, retryStrategy: () => null });
  noPassword.on('error', () => {});
  t.teardown(() => noPassword.disconnect());
  await t.throwsAsync(noPassword.get('x'), { message: /NOAUTH/ });
  for (const file of ['password', 'redis.conf']) t.is(statSync(join(home, 'redis', file)).mode & 0o777, 0o600, file);
  const pid = Number(readFileSync(join(home, 'redis', 'redis-server.pid'), 'utf8'));
  t.false(readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(password));
});

test('a port taken by something else meanwhile: it takes another one and keeps that', async (t) => {
  const { home, start } = setup(t);
  const first = await start();
  await first.stop();
  const squatter = createServer().listen(first.port, '127.0.0.1'); // accepts, never answers
  await once(squatter, 'listening');
  t.teardown(() => void squatter.close());
  const second = await start();
  t.not(second.port, first.port);
  t.is(Number(readFileSync(join(home, 'redis', 'port'), 'utf8')), second.port);
  t.is(await withClient(second.url, (c) => c.ping()), 'PONG');
});

test('without a redis-server binary the error says how to install it or set REDIS_URL', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'jk-redis-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const err = await t.throwsAsync(startEmbeddedRedis({ home, log: pino({ level: 'silent' }), binDirs: [home] }));
  t.regex(err?.message ?? '', /apt-get install redis-server/);
  t.regex(err?.message ?? '', /REDIS_URL/);
});

test('a redis-server left running by an earlier run is replaced, keeping its data', async (t) => {
  const { start } = setup(t);
  const orphan = await start(); // stands for a run that died without stop()
  await withClient(orphan.url, (c) => c.set('k', 'v'));
  const next = await start();
  t.is(next.url, orphan.url); // the orphan was stopped, so its port is free again
  t.is(await withClient(next.url, (c) => c.get('k')), 'v');
});

test('an unexpected exit of redis-server is logged as an error', async (t) => {
  const { home, lines, start } = setup(t);
  await start();
  const pid = Number(readFileSync(join(home, 'redis', 'redis-server.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  await until('the exit to be logged', () => lines.some((l) => l.includes('exited unexpectedly')), 10_000, 20);
  const entry = lines.map((l) => JSON.parse(l)).find((e) => e.msg === 'embedded Redis exited unexpectedly');
  t.is(entry?.level, 50);
  t.is(entry?.signal, 'SIGKILL');
});

test('bound for agents on other machines (JONKKINS_REDIS_HOST=0.0.0.0), it tells agents the advertised host', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'jk-redis-'));
  const r = await startEmbeddedRedis({ home, log: pino({ level: 'silent' }), host: '0.0.0.0', advertiseHost: 'ci.example.test' });
  t.teardown(async () => {
    await r.stop();
    rmSync(home, { recursive: true, force: true });
  });
  t.is(r.agentUrl, `redis://ci.example.test:${r.port}`);
  t.is(await withClient(r.url, (c) => c.ping()), 'PONG');
  t.deepEqual(await withClient(r.url, (c) => c.config('GET', 'bind')), ['bind', '0.0.0.0']);
});
