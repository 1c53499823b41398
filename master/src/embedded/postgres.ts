// Embedded PostgreSQL for `jonkkins start` without DATABASE_URL: its data lives under JONKKINS_HOME
// (as root with a home the postgres user cannot reach: under /var/lib/jonkkins, linked from the home).
// Preferred is a private cluster of the machine's PostgreSQL server binaries; PGlite (PostgreSQL in
// WASM, one backend, no real concurrency) is the fallback when such a cluster cannot run.
// JONKKINS_EMBEDDED_PG=cluster|pglite forces the choice; forcing `cluster` where it cannot run is an error.
// Both listen on 127.0.0.1 only. The cluster asks for a password (scram-sha-256) on every connection:
// a build step on this machine must not reach the database as its superuser. The password is made
// at the first start and kept in $JONKKINS_HOME/postgres-password (0600); a cluster an older version
// made with trust is given it and converted at its next start. PGlite listens without a password
// (it is the fallback where no server can run; the README says so).
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { chmod, chown, mkdir, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../log.ts';
import { servePglite, type PgliteServer } from './pglite-server.ts';
import { exec, findBinary, freePort, pathDirs, run, runsProgram, tail } from './binaries.ts';

export type EmbeddedPostgresKind = 'cluster' | 'pglite';
export interface EmbeddedPostgres {
  url: string;
  kind: EmbeddedPostgresKind;
  stop(): Promise<void>;
}
export interface EmbeddedPostgresOptions {
  home: string;
  log: Logger;
  /** Forces the choice; defaults to $JONKKINS_EMBEDDED_PG. */
  prefer?: EmbeddedPostgresKind;
  /** Where to look for initdb; default: $PATH, then /usr/lib/postgresql/<version>/bin, highest version first. */
  binDirs?: string[];
  /** As root, where a cluster goes when the postgres user cannot reach JONKKINS_HOME (default /var/lib/jonkkins). */
  rootClusterDir?: string;
}

/** The cluster's data directory; its log is `postgres.log` beside it. As root, `runuser` runs the server binaries as the postgres user. */
type ClusterPlan = { binDir: string; data: string; runuser?: string; uid?: number; gid?: number };

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const prefer = opts.prefer ?? preferFromEnv(process.env.JONKKINS_EMBEDDED_PG);
  const forcedBy = opts.prefer ? `prefer: '${prefer}'` : `JONKKINS_EMBEDDED_PG=${prefer}`;
  const { home, log } = opts;
  await mkdir(home, { recursive: true });
  const hasCluster = existsSync(join(home, 'postgres', 'PG_VERSION'));
  // Once a home holds PGlite data, keep using it: switching kinds (e.g. after PostgreSQL gets installed) would silently show an empty database.
  if (prefer === 'pglite' || (!prefer && !hasCluster && existsSync(join(home, 'pglite', 'PG_VERSION')))) {
    return startPglite(home, log, prefer ? `forced by ${forcedBy}` : 'it already holds data');
  }
  const plan = await planCluster(home, opts.binDirs ?? defaultBinDirs(), opts.rootClusterDir ?? '/var/lib/jonkkins');
  if ('binDir' in plan) return startCluster(home, log, plan);
  if (prefer === 'cluster') throw new Error(`A private PostgreSQL cluster was requested (${forcedBy}) but cannot run: ${plan.reason}.`);
  if (hasCluster) throw new Error(`${join(home, 'postgres')} holds a PostgreSQL cluster that cannot be started: ${plan.reason}.`);
  return startPglite(home, log, plan.reason);
}

function preferFromEnv(value: string | undefined): EmbeddedPostgresKind | undefined {
  if (!value) return undefined;
  if (value === 'cluster' || value === 'pglite') return value;
  throw new Error(`JONKKINS_EMBEDDED_PG must be 'cluster' or 'pglite', not '${value}'.`);
}

function defaultBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)) : [];
  return pathDirs(versions.sort((a, b) => Number(b) - Number(a)).map((v) => join(root, v, 'bin')));
}

async function planCluster(home: string, dirs: string[], rootClusterDir: string): Promise<ClusterPlan | { reason: string }> {
  const initdb = findBinary('initdb', dirs);
  if (!initdb) return { reason: `no PostgreSQL server binaries (initdb) on PATH or under /usr/lib/postgresql/*/bin` };
  // Debian links initdb into /usr/local/bin; its real directory also holds the matching pg_ctl, postgres and psql.
  const binDir = dirname(realpathSync(initdb));
  const missing = ['pg_ctl', 'postgres', 'psql'].filter((b) => !findBinary(b, [binDir]));
  if (missing.length) return { reason: `${binDir} lacks ${missing.join(', ')}` };
  const link = join(home, 'postgres');
  if (process.getuid?.() !== 0) return { binDir, data: link };
  // initdb and postgres refuse to run as root: run them as the postgres system user, who must reach the data dir.
  const runuser = findBinary('runuser', pathDirs(['/usr/sbin', '/sbin']));
  const uid = await exec('id', ['-u', 'postgres']);
  const gid = await exec('id', ['-g', 'postgres']);
  if (!runuser || uid.code !== 0 || gid.code !== 0) return { reason: `initdb cannot run as root and there is no postgres user to run it (with runuser) instead` };
  const owner = { binDir, runuser, uid: Number(uid.stdout), gid: Number(gid.stdout) };
  // `test -x` on the full path fails when any ancestor (e.g. /root, mode 700) is not traversable.
  const reachable = async (dir: string) => (await exec(runuser, ['-u', 'postgres', '--', 'test', '-x', dir])).code === 0;
  const linked = lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() ? readlinkSync(link) : undefined;
  if (!linked && (await reachable(home))) return { ...owner, data: link };
  // The home is private (e.g. /root/.jonkkins): the cluster lives where the postgres user can own
  // it, and $JONKKINS_HOME/postgres links there, so that the next start finds it again.
  const data = linked ?? join(rootClusterDir, `${home.replace(/[^\w.]+/g, '-').replace(/^-/, '').slice(-60)}-${randomBytes(4).toString('hex')}`, 'postgres');
  try {
    await mkdir(rootClusterDir, { recursive: true, mode: 0o755 });
    await mkdir(dirname(data), { recursive: true, mode: 0o700 });
    await chown(dirname(data), owner.uid, owner.gid);
    if (!linked) await symlink(data, link);
  } catch (e) {
    return { reason: `initdb cannot run as root, ${home} is not reachable by the postgres user, and ${dirname(data)} cannot be made for it: ${(e as Error).message}` };
  }
  if (!(await reachable(dirname(data)))) return { reason: `initdb cannot run as root and neither ${home} nor ${dirname(data)} is reachable by the postgres user` };
  return { ...owner, data };
}

async function startCluster(home: string, log: Logger, plan: ClusterPlan): Promise<EmbeddedPostgres> {
  const t0 = Date.now();
  const { data } = plan;
  const logFile = join(dirname(data), 'postgres.log');
  const bin = (name: string) => join(plan.binDir, name);
  const asOwner = (name: string, args: string[]) =>
    plan.runuser ? exec(plan.runuser, ['-u', 'postgres', '--', bin(name), ...args], { cwd: dirname(data) }) : exec(bin(name), args, { cwd: home });
  const isRunning = async () => (await asOwner('pg_ctl', ['status', '-D', data])).code === 0;
  const stop = async () => {
    if (!(await isRunning())) return;
    const r = await asOwner('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']);
    if (r.code !== 0 && (await isRunning())) throw new Error(`pg_ctl stop failed: ${(r.stderr || r.stdout).trim()}`);
  };

  await mkdir(data, { recursive: true, mode: 0o700 });
  await (await open(logFile, 'a')).close(); // pre-created so that it can be handed to the postgres user
  if (plan.uid !== undefined && plan.gid !== undefined) {
    await chown(data, plan.uid, plan.gid);
    await chown(logFile, plan.uid, plan.gid);
  }
  const created = !existsSync(join(data, 'PG_VERSION'));
  const converting = !created && (await trusting(data));
  const password = await clusterPassword(home, data, created || converting);
  if (created) {
    // initdb runs as the postgres user, who may not reach the home: it reads its own copy, beside the data.
    const pwfile = join(dirname(data), '.initdb-password');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    try {
      if (plan.uid !== undefined && plan.gid !== undefined) await chown(pwfile, plan.uid, plan.gid);
      const r = await asOwner('initdb', ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-locale']);
      if (r.code !== 0) throw new Error(`initdb failed: ${(r.stderr || r.stdout).trim()}`);
    } finally {
      await rm(pwfile, { force: true });
    }
    log.info({ data, ms: Date.now() - t0 }, 'embedded PostgreSQL: created a new cluster');
  }
  // A run that died without stop() leaves its postmaster running on an unknown port: stop it, then start afresh.
  // After a reboot its stale pid may belong to another process: remove the pid file, or postgres refuses to start.
  const pidFile = join(data, 'postmaster.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
  if (runsProgram(pid, 'postgres')) {
    log.warn({ data, pid }, 'embedded PostgreSQL: stopping a server left running by an earlier run');
    await stop();
  } else if (pid) await rm(pidFile, { force: true });
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort(); // may be taken before postgres binds it, hence the retries
    // No unix socket: /var/run/postgresql is not ours, and a socket path under a long home could exceed 107 bytes.
    const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=''`;
    const r = await asOwner('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60', '-o', options]);
    if (r.code === 0) break;
    if (attempt === 3) throw new Error(`PostgreSQL in ${data} did not start; end of ${logFile}:\n${tail(logFile)}`);
  }
  try {
    // The password reaches psql in its environment (ours alone), never its command line.
    const psql = (q: string) => run(bin('psql'), ['-X', '-q', '-tA', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', q], { env: { ...process.env, PGPASSWORD: password } });
    if (converting) {
      // Made with trust by an older version: the password first (trust still lets psql in), then the rules.
      await psql(`SET password_encryption = 'scram-sha-256'; ALTER USER postgres PASSWORD '${password}'`);
      await requirePasswords(data);
      await psql('SELECT pg_reload_conf()');
      log.warn({ data }, 'embedded PostgreSQL: the cluster trusted every local connection; it now asks for the password in postgres-password');
    }
    if ((await psql(`SELECT 1 FROM pg_database WHERE datname = 'jonkkins'`)).trim() !== '1') await psql('CREATE DATABASE jonkkins');
  } catch (e) {
    await stop();
    throw e;
  }
  const where = data === join(home, 'postgres') ? data : `${data} (linked from ${join(home, 'postgres')}: the postgres user cannot reach ${home})`;
  log.info({ data, port, ms: Date.now() - t0 }, `embedded PostgreSQL: private cluster in ${where}${plan.runuser ? ', run as the postgres user' : ''}`);
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/jonkkins`, kind: 'cluster', stop };
}

/** The file under JONKKINS_HOME holding the cluster's password (0600, the master's user only). */
export const passwordFile = (home: string) => join(home, 'postgres-password');

/**
 * The password of the cluster's postgres user: made anew (`fresh`: a new cluster, or one made with
 * trust that is being converted), else read from the file.
 */
async function clusterPassword(home: string, data: string, fresh: boolean): Promise<string> {
  const file = passwordFile(home);
  if (!fresh) {
    const kept = existsSync(file) ? (await readFile(file, 'utf8')).trim() : '';
    if (!kept) throw new Error(`${file} is missing or empty: the PostgreSQL cluster in ${data} asks for the password it held. Restore the file, or move the cluster away to start with a new one.`);
    return kept;
  }
  const password = randomBytes(24).toString('hex'); // hex: nothing to quote in SQL or escape in a URL
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // an existing file keeps its mode otherwise
  return password;
}

const HBA_TRUST = /^(\s*(?:local|host\w*)\s.*\s)trust(\s*(?:#.*)?)$/gm;

/** Whether pg_hba.conf still lets some connection in without a password. */
async function trusting(data: string): Promise<boolean> {
  return new RegExp(HBA_TRUST.source, 'm').test(await readFile(join(data, 'pg_hba.conf'), 'utf8'));
}

/** Every trust rule of pg_hba.conf becomes scram-sha-256 (the file keeps its owner and mode). */
async function requirePasswords(data: string): Promise<void> {
  const hba = join(data, 'pg_hba.conf');
  await writeFile(hba, (await readFile(hba, 'utf8')).replace(HBA_TRUST, '$1scram-sha-256$2'));
}

async function startPglite(home: string, log: Logger, reason: string): Promise<EmbeddedPostgres> {
  const t0 = Date.now();
  const dataDir = join(home, 'pglite');
  await mkdir(dataDir, { recursive: true });
  // Loaded lazily: the WASM build is large and the cluster path never needs it.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir);
  let server: PgliteServer;
  try {
    server = await servePglite(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  const { port } = server;
  log.info({ dataDir, port, ms: Date.now() - t0 }, `embedded PostgreSQL: PGlite in ${dataDir} (${reason}); one connection at a time uses it, for a whole transaction`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kind: 'pglite',
    async stop() {
      if (db.closed) return;
      await server.close();
      await db.close(); // flushes the data dir; without it recent writes may be lost
    },
  };
}
