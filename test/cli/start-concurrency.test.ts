/**
 * `jonkkins start` on its embedded defaults, as root and as a plain user (and on the PGlite
 * fallback), answers 1,000 concurrent mixed requests — logins, identity and job reads, triggers,
 * console reads and streams — each with its own right answer. The embedded PGlite once answered a
 * jobs query with a user row and logged people out under such load.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test from 'ava';
import { call, login } from '../helpers/http.ts';
import { freePort, JONKKINS_BIN, stopProcess, until, type JonkkinsProcess } from '../helpers/processes.ts';

const idOf = (flag: string, user: string) => Number(readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`))!.split(':')[flag === 'u' ? 2 : 3]);
const gidOf = (user: string) => idOf('g', user);
const isRoot = process.getuid?.() === 0;
const PLAIN_USER = 'nobody'; // as root, the plain-user case runs the command as this unprivileged user
/** That user must be able to read the checkout (not so in a clone under /root). */
const plainUserReadsCheckout = !isRoot || spawnSync('setpriv', [`--reuid=${PLAIN_USER}`, `--regid=${gidOf(PLAIN_USER)}`, '--clear-groups', '--', 'test', '-r', JONKKINS_BIN]).status === 0;
const JOBS = ['alpha', 'beta', 'gamma'];
const PEOPLE = ['ann', 'bob', 'cid', 'dee'];
const password = (u: string) => `${u}-password-long`;

interface Case {
  title: string;
  runAs?: string;
  env?: Record<string, string>;
  /** What start-up must log about the database it picked. */
  database: RegExp;
  skip?: boolean;
}
const cases: Case[] = [
  ...(isRoot ? [{ title: 'as root', database: /embedded PostgreSQL: private cluster in .*run as the postgres user/ }] : []),
  { title: 'as a plain user', runAs: isRoot ? PLAIN_USER : undefined, skip: !plainUserReadsCheckout, database: /embedded PostgreSQL: private cluster in (?!.*run as the postgres user)/ },
  { title: 'on the PGlite fallback', env: { JONKKINS_EMBEDDED_PG: 'pglite' }, database: /embedded PostgreSQL: PGlite in / },
];

/** `jonkkins start` with nothing configured but its home and port, as `user` when given (we are root then). */
function start(home: string, port: number, c: Case): JonkkinsProcess {
  const env = { PATH: process.env.PATH ?? '', HOME: home, JONKKINS_HOME: home, PORT: String(port), LOG_LEVEL: 'info', ...c.env };
  const command = [process.execPath, JONKKINS_BIN, 'start', '--executors', '4'];
  // setpriv, not runuser: it keeps the environment (HOME included) as given.
  const argv = c.runAs ? ['setpriv', `--reuid=${c.runAs}`, `--regid=${gidOf(c.runAs)}`, '--clear-groups', '--', ...command] : command;
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] }) as JonkkinsProcess;
  child.output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (child.output.stdout += d));
  child.stderr!.on('data', (d) => (child.output.stderr += d));
  return child;
}

/** The `data:` of every `log` event of a server-sent-events body, and the `end` event's data. */
function parseConsole(body: string): { log: string; end: unknown } {
  let log = '';
  let end: unknown;
  for (const block of body.split('\n\n')) {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (event === 'log') log += JSON.parse(data!);
    if (event === 'end') end = JSON.parse(data!);
  }
  return { log, end };
}

// Serial only to bound the load: each case starts a whole master of its own (own home and port, nothing shared) and sends it 1,000 requests at once.
for (const c of cases) {
  (c.skip ? test.serial.skip : test.serial)(`jonkkins start ${c.title} answers 1,000 concurrent mixed requests, each rightly`, async (t) => {
    t.timeout(420_000); // minutes only on a machine loaded by other work: PGlite alone took 65 s to start there
    const home = mkdtempSync(join(tmpdir(), 'jk-load-'));
    if (c.runAs) chownSync(home, idOf('u', c.runAs), gidOf(c.runAs));
    t.teardown(() => {
      // As root the cluster may live outside the home (under /var/lib/jonkkins): remove it too.
      const link = join(home, 'postgres');
      if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(dirname(readlinkSync(link)), { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    });
    chmodSync(home, 0o700); // a private home, as ~/.jonkkins is (the postgres user cannot reach it)
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const master = start(home, port, c);
    t.teardown(() => stopProcess(master));
    const t0 = Date.now();
    const phase = (what: string) => t.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await until('/healthz to answer 200', async () => (await call(base, 'GET', '/healthz')).status === 200, 200_000);
    phase('ready');
    t.regex(master.output.stdout, c.database);

    // Setup: the admin (with the setup code, since the master listens on all addresses), people, jobs, a first build of each.
    const setupCode = readFileSync(join(home, 'secrets', 'initialAdminPassword'), 'utf8').trim();
    t.is((await call(base, 'POST', '/api/users', { json: { username: 'admin', password: password('admin'), setupCode } })).status, 201);
    const admin = await login(base, 'admin', password('admin'));
    const tokens: Record<string, string> = {};
    for (const u of PEOPLE) {
      t.is((await call(base, 'POST', '/api/users', { token: admin, json: { username: u, password: password(u) } })).status, 201);
      tokens[u] = await login(base, u, password(u));
    }
    for (const job of JOBS) {
      const steps = [{ type: 'shell', script: `echo "marker of $JOB_NAME build $BUILD_NUMBER"` }];
      t.is((await call(base, 'POST', '/api/jobs', { token: admin, json: { name: job, steps } })).status, 201);
      t.is((await call(base, 'POST', `/api/jobs/${job}/builds`, { token: admin })).status, 201);
    }
    const result = async (job: string, n: number) => (await call(base, 'GET', `/api/jobs/${job}/builds/${n}`, { token: admin })).body?.result;
    await until('the first builds to finish', async () => (await Promise.all(JOBS.map((j) => result(j, 1)))).every((r) => r === 'SUCCESS'), 120_000);

    phase('set up');
    // 1,000 requests at once. Each says what was wrong with its answer, or nothing.
    const person = (i: number) => PEOPLE[i % PEOPLE.length]!;
    const job = (i: number) => JOBS[i % JOBS.length]!;
    const queued: { job: string; queueId: number }[] = [];
    const logins: { user: string; token: string }[] = [];
    const kinds: [number, (i: number) => Promise<string | undefined>][] = [
      [360, async (i) => {
        const r = await call(base, 'GET', '/api/whoami', { token: tokens[person(i)] });
        return r.status === 200 && r.body.name === person(i) ? undefined : `whoami of ${person(i)}: ${r.status} ${r.text}`;
      }],
      [40, async (i) => {
        // Few: each costs an argon2 hash, which is the point of a password hash, not of this test.
        const r = await call(base, 'POST', '/login', { json: { username: person(i), password: password(person(i)) } });
        if (r.status !== 200) return `login of ${person(i)}: ${r.status} ${r.text}`;
        logins.push({ user: person(i), token: r.text });
      }],
      [200, async (i) => {
        const r = await call(base, 'GET', `/api/jobs/${job(i)}`, { token: tokens[person(i)] });
        return r.status === 200 && r.body.name === job(i) ? undefined : `job ${job(i)}: ${r.status} ${r.text.slice(0, 200)}`;
      }],
      [50, async (i) => {
        const r = await call(base, 'GET', '/api/jobs', { token: tokens[person(i)] });
        const names = r.status === 200 ? (r.body.jobs as { name: string }[]).map((j) => j.name).sort() : [];
        return names.join() === JOBS.join() ? undefined : `job list: ${r.status} ${r.text.slice(0, 200)}`;
      }],
      [50, async (i) => {
        const r = await call(base, 'GET', `/api/users/${person(i)}`, { token: admin });
        return r.status === 200 && r.body.username === person(i) ? undefined : `user ${person(i)}: ${r.status} ${r.text}`;
      }],
      [100, async (i) => {
        const r = await call(base, 'POST', `/api/jobs/${job(i)}/builds`, { token: tokens[person(i)] });
        if (r.status !== 201 || typeof r.body.queueId !== 'number') return `trigger of ${job(i)}: ${r.status} ${r.text}`;
        queued.push({ job: job(i), queueId: r.body.queueId });
      }],
      [100, async (i) => {
        const r = await call(base, 'GET', `/api/jobs/${job(i)}/builds/1/log`, { token: tokens[person(i)] });
        return r.status === 200 && r.text.includes(`marker of ${job(i)} build 1`) ? undefined : `log of ${job(i)} #1: ${r.status} ${r.text.slice(0, 200)}`;
      }],
      [100, async (i) => {
        const res = await fetch(`${base}/api/jobs/${job(i)}/builds/1/console`, { headers: { authorization: `Bearer ${tokens[person(i)]}` } });
        const { log, end } = parseConsole(await res.text());
        const right = res.status === 200 && log.includes(`marker of ${job(i)} build 1`) && (end as { result?: string })?.result === 'SUCCESS';
        return right ? undefined : `console of ${job(i)} #1: ${res.status} ${log.slice(0, 200)} ${JSON.stringify(end)}`;
      }],
    ];
    const requests = kinds.flatMap(([n, ask]) => Array.from({ length: n }, (_, i) => () => ask(i)));
    t.is(requests.length, 1000);
    const answers = await Promise.all(requests.map((ask) => ask().catch((err: Error) => `failed: ${err.message} (${String((err.cause as Error | undefined)?.message ?? '')})`)));
    t.deepEqual(answers.filter(Boolean), []);
    phase('1,000 requests answered');

    // Every login got a token of its own person; every trigger's queue item became a build of its job that ran.
    for (const { user, token } of logins) t.is((await call(base, 'GET', '/api/whoami', { token })).body.name, user);
    const builds = new Map<number, { job: string; number: number }>();
    await until('every queue item to start its build', async () => {
      for (const { job, queueId } of queued) {
        if (builds.has(queueId)) continue;
        const item = (await call(base, 'GET', `/api/queue/${queueId}`, { token: admin })).body;
        if (item.job !== job) throw new Error(`queue item ${queueId} is of ${item.job}, not ${job}`);
        if (item.build) builds.set(queueId, { job, number: item.build.number });
      }
      return builds.size === new Set(queued.map((q) => q.queueId)).size;
    }, 180_000);
    await until('every triggered build to finish', async () => {
      for (const b of [...builds.values()]) if ((await result(b.job, b.number)) === null) return false;
      return true;
    }, 180_000);
    phase('triggered builds finished');
    for (const { job, number } of builds.values()) {
      t.is(await result(job, number), 'SUCCESS');
      t.true((await call(base, 'GET', `/api/jobs/${job}/builds/${number}/log`, { token: admin })).text.includes(`marker of ${job} build ${number}`));
    }
    t.is(await stopProcess(master), 0);
  });
}
