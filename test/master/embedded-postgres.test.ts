import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { createPool, sql } from 'slonik';
import { passwordFile, startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from '../../master/src/embedded/postgres.ts';

const isRoot = process.getuid?.() === 0;

/** A fresh home and a logger whose messages the test can read; servers stopped and home removed after the test. */
function setup(t: { teardown(fn: () => unknown): void }, { traversable = true } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'jk-pg-'));
  // mkdtemp makes a 0700 dir; as root the postgres user must be able to traverse it to run the cluster.
  if (traversable) chmodSync(home, 0o711);
  const messages: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void messages.push(JSON.parse(s).msg) });
  const started: EmbeddedPostgres[] = [];
  const start = async (extra: Partial<EmbeddedPostgresOptions> = {}) => {
    const pg = await startEmbeddedPostgres({ home, log, ...extra });
    started.push(pg);
    return pg;
  };
  t.teardown(async () => {
    for (const pg of started) await pg.stop();
    rmSync(home, { recursive: true, force: true });
  });
  return { home, messages, start };
}

async function query<T>(url: string, fn: (pool: Awaited<ReturnType<typeof createPool>>) => Promise<T>): Promise<T> {
  const pool = await createPool(url, { maxPoolSize: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

test('a private cluster keeps its rows across a restart', async (t) => {
  const { home, messages, start } = setup(t);
  const first = await start();
  t.is(first.kind, 'cluster');
  t.regex(first.url, /^postgres:\/\/postgres:[0-9a-f]{48}@127\.0\.0\.1:\d+\/jonkkins$/);
  t.true(messages.some((m) => m.startsWith(`embedded PostgreSQL: private cluster in ${join(home, 'postgres')}`)));
  t.true(existsSync(join(home, 'postgres.log')));
  await query(first.url, async (pool) => {
    await pool.query(sql.unsafe`CREATE TABLE build (id int PRIMARY KEY, job text NOT NULL)`);
    await pool.query(sql.unsafe`INSERT INTO build VALUES (1, 'hello')`);
  });
  await first.stop();

  const second = await start();
  t.is(await query(second.url, (pool) => pool.oneFirst(sql.unsafe`SELECT job FROM build WHERE id = 1`)), 'hello');
});

/** What a connection without the password gets (or 'connected'). */
async function withoutPassword(url: string): Promise<string> {
  const u = new URL(url);
  u.password = '';
  return query(u.toString(), (pool) => pool.oneFirst(sql.unsafe`SELECT 'connected'`)).then(String, (e: Error) => e.message);
}

test('the cluster asks for its password (scram-sha-256): a connection without it is refused; the password is in a 0600 file of the home', async (t) => {
  const { home, start } = setup(t);
  const pg = await start();
  t.regex(await withoutPassword(pg.url), /password/i);
  t.is(await query(pg.url, (pool) => pool.oneFirst(sql.unsafe`SELECT current_user`)), 'postgres');
  t.is(statSync(passwordFile(home)).mode & 0o777, 0o600);
  t.is(readFileSync(passwordFile(home), 'utf8').trim(), new URL(pg.url).password);
  const hba = readFileSync(join(home, 'postgres', 'pg_hba.conf'), 'utf8');
  t.notRegex(hba.replace(/#.*$/gm, ''), /\btrust\b/);
  t.false(existsSync(join(home, '.initdb-password')), 'initdb\'s copy of the password is gone');
});

test('a cluster an older version made with trust asks for a password from its next start on, its data kept', async (t) => {
  const { home, messages, start } = setup(t);
  const first = await start();
  await query(first.url, async (pool) => {
    await pool.query(sql.unsafe`CREATE TABLE kept (n int)`);
    await pool.query(sql.unsafe`INSERT INTO kept VALUES (7)`);
  });
  await first.stop();
  // As an older version left it: every rule trust, and no password file.
  const hbaFile = join(home, 'postgres', 'pg_hba.conf');
  writeFileSync(hbaFile, readFileSync(hbaFile, 'utf8').replaceAll('scram-sha-256', 'trust'));
  rmSync(passwordFile(home));

  const second = await start();
  t.true(messages.includes('embedded PostgreSQL: the cluster trusted every local connection; it now asks for the password in postgres-password'));
  t.regex(await withoutPassword(second.url), /password/i);
  t.is(await query(second.url, (pool) => pool.oneFirst(sql.unsafe`SELECT n FROM kept`)), 7);
  t.notRegex(readFileSync(hbaFile, 'utf8').replace(/#.*$/gm, ''), /\btrust\b/);
  await second.stop();
  const third = await start(); // converted once: the next start reads the password
  t.is(await query(third.url, (pool) => pool.oneFirst(sql.unsafe`SELECT n FROM kept`)), 7);
});

test('a cluster in a home that lost its password file does not start, and says which file is missing', async (t) => {
  const { home, start } = setup(t);
  await (await start()).stop();
  rmSync(passwordFile(home));
  await t.throwsAsync(start(), { message: new RegExp(`${passwordFile(home)} is missing`) });
});

test('a cluster left running by an earlier run is stopped and started afresh', async (t) => {
  const { messages, start } = setup(t);
  const orphan = await start(); // stands for a run that died without stop()
  await query(orphan.url, (pool) => pool.query(sql.unsafe`CREATE TABLE kept (n int)`));
  const next = await start();
  t.true(messages.includes('embedded PostgreSQL: stopping a server left running by an earlier run'));
  t.is(await query(next.url, (pool) => pool.oneFirst(sql.unsafe`SELECT count(*)::int FROM kept`)), 0);
});

test('a stale postmaster.pid whose pid now belongs to another process does not block the start', async (t) => {
  const { home, start } = setup(t);
  const pidFile = join(home, 'postgres', 'postmaster.pid');
  const first = await start();
  const lockFile = readFileSync(pidFile, 'utf8');
  await first.stop();
  // As after a reboot: the recorded pid is alive but is not postgres, and runs as the cluster's user (postgres when we are root).
  const shell = ['sh', '-c', 'echo $$; exec sleep 60'];
  const other = isRoot ? spawn('runuser', ['-u', 'postgres', '--', ...shell]) : spawn(shell[0]!, shell.slice(1));
  t.teardown(() => void other.kill());
  const [pid] = await once(other.stdout!, 'data');
  writeFileSync(pidFile, lockFile.replace(/^\d+/, String(pid).trim()));

  const second = await start();
  t.is(await query(second.url, (pool) => pool.oneFirst(sql.unsafe`SELECT 1`)), 1);
});

(isRoot ? test : test.skip)('as root, a home the postgres user cannot reach gets a cluster in a directory of its own, linked from the home and found again', async (t) => {
  const { home, messages, start } = setup(t, { traversable: false });
  const clusters = mkdtempSync(join(tmpdir(), 'jk-var-lib-')); // stands for /var/lib/jonkkins
  chmodSync(clusters, 0o755);
  t.teardown(() => rmSync(clusters, { recursive: true, force: true }));
  const first = await start({ rootClusterDir: clusters });
  t.is(first.kind, 'cluster');
  const data = readlinkSync(join(home, 'postgres'));
  t.is(dirname(dirname(data)), clusters);
  t.is(statSync(dirname(data)).uid, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })));
  t.true(messages.includes(`embedded PostgreSQL: private cluster in ${data} (linked from ${join(home, 'postgres')}: the postgres user cannot reach ${home}), run as the postgres user`));
  await query(first.url, (pool) => pool.query(sql.unsafe`CREATE TABLE kept (n int)`));
  await first.stop();

  const second = await start({ rootClusterDir: clusters });
  t.is(second.kind, 'cluster');
  t.is(readlinkSync(join(home, 'postgres')), data);
  t.is(await query(second.url, (pool) => pool.oneFirst(sql.unsafe`SELECT count(*)::int FROM kept`)), 0);
});

test('forcing the cluster without server binaries fails with a clear message', async (t) => {
  const { start } = setup(t);
  const err = await t.throwsAsync(start({ prefer: 'cluster', binDirs: [] }));
  t.regex(err?.message ?? '', /cannot run: no PostgreSQL server binaries \(initdb\)/);
});

test('PGlite takes over without server binaries, keeps its rows across a restart and stays chosen once it holds data', async (t) => {
  const { home, messages, start } = setup(t);
  const first = await start({ binDirs: [] });
  t.is(first.kind, 'pglite');
  t.regex(first.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
  t.true(messages.some((m) => m.startsWith(`embedded PostgreSQL: PGlite in ${join(home, 'pglite')} (no PostgreSQL server binaries`)));
  await query(first.url, async (pool) => {
    await pool.query(sql.unsafe`CREATE TABLE build (id int PRIMARY KEY, job text NOT NULL)`);
    await pool.query(sql.unsafe`INSERT INTO build VALUES (1, 'hello')`);
  });
  await first.stop();

  // Server binaries are findable now, but switching would hide the PGlite data behind an empty cluster.
  const second = await start();
  t.is(second.kind, 'pglite');
  t.is(await query(second.url, (pool) => pool.oneFirst(sql.unsafe`SELECT job FROM build WHERE id = 1`)), 'hello');
});
