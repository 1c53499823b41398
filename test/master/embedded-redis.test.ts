import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../master/src/embedded/redis.ts';

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
  t.regex(first.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
  await withClient(first.url, (c) => c.set('build:1', 'queued'));
  await first.stop();
  t.true(existsSync(join(home, 'redis', 'appendonlydir')));
  t.true(existsSync(join(home, 'redis.log')));

  const second = await start();
  t.is(await withClient(second.url, (c) => c.get('build:1')), 'queued');
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
  t.not(next.url, orphan.url);
  t.is(await withClient(next.url, (c) => c.get('k')), 'v');
});

test('an unexpected exit of redis-server is logged as an error', async (t) => {
  const { home, lines, start } = setup(t);
  await start();
  const pid = Number(readFileSync(join(home, 'redis', 'redis-server.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && !lines.some((l) => l.includes('exited unexpectedly')); i++) await new Promise((r) => setTimeout(r, 20));
  const entry = lines.map((l) => JSON.parse(l)).find((e) => e.msg === 'embedded Redis exited unexpectedly');
  t.is(entry?.level, 50);
  t.is(entry?.signal, 'SIGKILL');
});
