/**
 * The `jonkkins` command. Exit codes: 0 done, 1 failed while running, 2 bad command line,
 * 78 bad configuration (an environment variable).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../master/src/config.ts';
import { createLogger, type Logger } from '../master/src/log.ts';
// The master, the agent and the database code load only for the command that needs them, so that
// --help and usage errors answer at once.
const loadMaster = () => import('../master/src/server.ts');
const loadDatabase = () => Promise.all([import('../master/src/db/pool.ts'), import('../master/src/db/migrate.ts')]);

/** JONKKINS_STEP_MODULES: kinds of step that are not built in (shared/src/step-kind-modules.ts). */
async function loadStepKinds(forAgent: boolean): Promise<void> {
  const { loadStepKindModules } = await import('../shared/src/step-kind-modules.ts');
  const modules = await loadStepKindModules(process.env.JONKKINS_STEP_MODULES);
  if (!forAgent || modules.length === 0) return;
  const { registerStepRunner } = await import('../worker/src/steps/step-runners.ts');
  for (const m of modules) {
    if (!m.runner) throw new ConfigError(`JONKKINS_STEP_MODULES: the module of step kind '${m.schema.shape.type.value}' has no runner for agents`);
    registerStepRunner(m.runner as Parameters<typeof registerStepRunner>[0]);
  }
}

const EXIT = { ok: 0, failed: 1, usage: 2, config: 78 } as const;
const LOCAL_AGENT = 'local';

class UsageError extends Error {}

const HELP: Record<string, string> = {
  '': `Usage: jonkkins <command> [options]

Commands:
  start     master, one local agent and the UI, on embedded defaults   (what npm start runs)
  master    the master alone
  agent     an agent alone: jonkkins agent --url URL --name NAME --secret-stdin
  migrate   apply database migrations and exit
  apply     create or update a master's jobs from job documents: jonkkins apply DIR [--prune]
  export    write a master's jobs as job documents: jonkkins export DIR
  credentials reseal   seal every credential again under the current JONKKINS_SECRET

Run "jonkkins <command> --help" for a command's options. Configuration comes from
environment variables (PORT, JONKKINS_HOME, DATABASE_URL, REDIS_URL, ...): see README.md.`,
  start: `Usage: jonkkins start [--executors N] [--no-agent]

Starts the master, one local agent named "${LOCAL_AGENT}" and the UI. Without DATABASE_URL and
REDIS_URL it runs private PostgreSQL and Redis servers with their data under JONKKINS_HOME.
  --executors N   executors of the local agent (1-64, default 2)
  --no-agent      do not start the local agent`,
  master: `Usage: jonkkins master

Starts the master alone (REST API, UI, login) on PORT. Agents connect to it with jonkkins agent.`,
  agent: `Usage: jonkkins agent --url URL --name NAME (--secret-stdin | --secret-file FILE | --secret SECRET) [--workdir DIR]

Logs in to the master as an agent and keeps its connection alive. Every option can also come
from the environment: JONKKINS_AGENT_URL, JONKKINS_AGENT_NAME, JONKKINS_AGENT_SECRET,
JONKKINS_AGENT_WORKDIR. Prefer --secret-stdin or --secret-file: a secret given with --secret or
JONKKINS_AGENT_SECRET is moved out of the agent's command line and environment at start (the
agent restarts itself in place), but whatever launched it still holds it.
JONKKINS_CONTAINER_CLI (auto, docker, podman or none; default auto) picks the CLI of dockerBuild
steps: auto probes docker, then podman, once at start; an agent where one works gets the label docker.
  --url URL             the master, e.g. http://ci.example.com:8080
  --name NAME           the agent's name, as registered by an admin
  --secret-stdin        read the secret from the first line of standard input
  --secret-file FILE    read the secret from FILE
  --delete-secret-file  delete FILE once read
  --secret SECRET       the secret shown when the agent was registered
  --workdir DIR         where workspaces go (default ~/.jonkkins-agent)`,
  apply: `Usage: jonkkins apply DIR [--prune] [--url URL] [--user NAME] [--password-stdin | --password-file FILE]

Makes the master's jobs what the documents in DIR say: one <job name>.json per job, the job
document of the REST API (a missing "name" is the file's). Every document is validated first; one
that does not validate is named with its field, and nothing changes. Prints what it created and
updated; a second run with the same documents changes nothing and says so.
  --prune               also delete the master's jobs that have no document in DIR
  --url URL             the master (default $JONKKINS_URL, else http://localhost:8080/)
  --user NAME           the person to log in as (default $JONKKINS_USER)
  --password-stdin      read the password from the first line of standard input
  --password-file FILE  read it from FILE (default: $JONKKINS_PASSWORD)`,
  export: `Usage: jonkkins export DIR [--url URL] [--user NAME] [--password-stdin | --password-file FILE]

Writes each of the master's jobs to DIR as <job name>.json (secrets as ****, which apply keeps).
Options as for jonkkins apply.`,
  credentials: `Usage: jonkkins credentials reseal [--previous-key-file FILE]

After JONKKINS_SECRET changed: opens every credential sealed under the previous key and seals it
again under the current one (JONKKINS_SECRET, or JONKKINS_HOME/secret.key when it is unset).
The previous key is JONKKINS_PREVIOUS_SECRET (the former JONKKINS_SECRET), or FILE (a former
secret.key). Credentials that open with neither key are listed: enter their secrets again.
  --previous-key-file FILE   the previous key as a secret.key file`,
  migrate: `Usage: jonkkins migrate

Applies pending database migrations (sql/) to DATABASE_URL, or to the embedded database.`,
};

function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see "jonkkins ${command} --help")`);
  }
}

function showHelp(command: string): number {
  console.log(HELP[command]);
  return EXIT.ok;
}

/** Waits for SIGINT or SIGTERM, then runs the shutdown once. */
function untilSignal(shutdown: () => Promise<void>): Promise<number> {
  return new Promise((done) => {
    const onSignal = (signal: string) => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      console.error(`jonkkins: ${signal}, shutting down`);
      void shutdown().then(() => done(EXIT.ok));
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
}

async function runMaster(config: Config, log: Logger, localAgent?: { executors: number }): Promise<number> {
  const [{ startMaster }, { AgentsService }] = await Promise.all([loadMaster(), import('../master/src/agents/agents.ts')]);
  const master = await startMaster(config, log);
  let agent: ChildProcess | undefined;
  if (localAgent) {
    // A fresh secret every start: it lives in this process and the agent's memory only (its standard
    // input hands it over), never in an environment or a command line that a build step could read.
    const agents = new AgentsService(master.pool, Date.now);
    const known = await agents.list();
    const existing = known.find((a) => a.name === LOCAL_AGENT);
    const { secret } = existing
      ? await agents.update(LOCAL_AGENT, { executors: localAgent.executors }).then(() => agents.regenerateSecret(LOCAL_AGENT))
      : await agents.register({ name: LOCAL_AGENT, executors: localAgent.executors, labels: [], description: 'Runs on the machine of the master (jonkkins start)' });
    agent = spawn(process.execPath, [fileURLToPath(new URL('jonkkins.js', import.meta.url)), 'agent', '--url', master.localUrl, '--name', LOCAL_AGENT, '--secret-stdin'], {
      env: { ...withoutMasterSecrets(process.env), JONKKINS_AGENT_WORKDIR: resolve(config.home, 'agent') },
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    agent.stdin!.end(`${secret}\n`);
    agent.on('exit', (code, signal) => log.warn(`local agent exited (${signal ?? code})`));
  }
  return untilSignal(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    await master.close();
  });
}

/** The master's own configuration secrets, which the local agent (and so its builds) must not inherit. */
const MASTER_SECRETS = ['JONKKINS_SECRET', 'DATABASE_URL', 'REDIS_URL', 'JONKKINS_AGENT_REDIS_URL', 'JONKKINS_AGENT_SECRET'];
function withoutMasterSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !MASTER_SECRETS.includes(name)));
}

/** The first line of standard input (at most 4 KiB), e.g. the secret `jonkkins start` writes. */
async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n') || text.length > 4096) break;
  }
  process.stdin.destroy();
  return text.split('\n')[0]!.trim();
}

/**
 * A secret given on the command line or in the environment is readable there by every build step
 * (/proc/<pid>/cmdline, /proc/<pid>/environ, which keep what the process started with). So the
 * agent starts itself again in place (same pid), handing the secret over in a 0600 file that the
 * new image reads and deletes, with neither the --secret argument nor JONKKINS_AGENT_SECRET.
 */
function restartWithoutSecret(args: string[], secret: string): void {
  if (typeof process.execve !== 'function') return; // an older Node: it stays where it was given
  const file = join(tmpdir(), `jonkkins-agent-secret-${randomBytes(12).toString('hex')}`);
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--secret') i++; // and its value
    else if (!a.startsWith('--secret=')) kept.push(a);
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k, value]) => k !== 'JONKKINS_AGENT_SECRET' && value !== undefined)) as Record<string, string>;
  process.execve(process.execPath, [process.execPath, ...process.execArgv, process.argv[1]!, 'agent', ...kept, '--secret-file', file, '--delete-secret-file'], env);
}

async function runAgent(args: string[]): Promise<number> {
  const v = parse('agent', args, {
    url: { type: 'string' },
    name: { type: 'string' },
    secret: { type: 'string' },
    'secret-file': { type: 'string' },
    'secret-stdin': { type: 'boolean' },
    'delete-secret-file': { type: 'boolean' },
    workdir: { type: 'string' },
  });
  if (v.help) return showHelp('agent');
  const env = process.env;
  const url = v.url ?? env.JONKKINS_AGENT_URL;
  const name = v.name ?? env.JONKKINS_AGENT_NAME;
  const secretFile = v['secret-file'];
  let secret: string | undefined;
  if (secretFile) {
    secret = readFileSync(secretFile, 'utf8').trim();
    if (v['delete-secret-file']) rmSync(secretFile, { force: true });
  } else if (v['secret-stdin']) secret = await readStdinLine();
  else secret = v.secret ?? env.JONKKINS_AGENT_SECRET;
  if (!url) throw new UsageError('--url is required (or JONKKINS_AGENT_URL)');
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  if (!name) throw new UsageError('--name is required (or JONKKINS_AGENT_NAME)');
  if (!secret) throw new UsageError('--secret-stdin, --secret-file or --secret is required (or JONKKINS_AGENT_SECRET)');
  if (!secretFile && !v['secret-stdin']) restartWithoutSecret(args, secret);
  delete process.env.JONKKINS_AGENT_SECRET; // builds never get it (agentEnvironment drops it too)
  const log = createLogger(loadConfig().logLevel, 'jonkkins-agent');
  await loadStepKinds(true);
  const { CredentialsRefusedError, startAgent } = await import('../worker/src/agent.ts');
  const workdir = v.workdir ?? env.JONKKINS_AGENT_WORKDIR ?? resolve(homedir(), '.jonkkins-agent');
  const { parseContainerCliChoice } = await import('../worker/src/container-cli.ts');
  let containerCli;
  try {
    containerCli = parseContainerCliChoice(env.JONKKINS_CONTAINER_CLI);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`);
  }
  const agent = startAgent({ url, name, secret, workdir, containerCli, log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) } });
  const stopped = untilSignal(() => agent.stop());
  try {
    await Promise.race([agent.done, stopped]);
  } catch (err) {
    if (err instanceof CredentialsRefusedError) {
      console.error(`jonkkins: ${err.message}`);
      return EXIT.failed;
    }
    throw err;
  }
  return stopped;
}

/** `jonkkins apply DIR` and `jonkkins export DIR`: a client of a running master, no configuration of its own. */
async function runJobsAsCode(command: 'apply' | 'export', args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        prune: { type: 'boolean' },
        url: { type: 'string' },
        user: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        'password-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see "jonkkins ${command} --help")`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return showHelp(command);
  if (positionals.length !== 1) throw new UsageError(`${command} takes one directory (see "jonkkins ${command} --help")`);
  if (v.prune && command === 'export') throw new UsageError('--prune is for apply (see "jonkkins export --help")');
  const username = v.user ?? process.env.JONKKINS_USER;
  if (!username) throw new UsageError('--user NAME is required (or JONKKINS_USER)');
  const password = v['password-file'] ? readFileSync(v['password-file'], 'utf8').split('\n')[0] : v['password-stdin'] ? await readStdinLine() : process.env.JONKKINS_PASSWORD;
  if (!password) throw new UsageError('--password-stdin, --password-file or JONKKINS_PASSWORD is required');
  await loadStepKinds(false);
  const { apply, exportJobs, JobsAsCodeError } = await import('./jobs-as-code.ts');
  const client = { url: v.url ?? process.env.JONKKINS_URL ?? 'http://localhost:8080/', username, password, say: (line: string) => console.log(line) };
  try {
    if (command === 'apply') await apply(positionals[0]!, client, { prune: v.prune });
    else await exportJobs(positionals[0]!, client);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof JobsAsCodeError)) throw err;
    console.error(`jonkkins ${command}: ${err.message}`);
    return EXIT.failed;
  }
}

/** `jonkkins credentials reseal`: README.md, "Rotating JONKKINS_SECRET". */
async function runCredentials(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') return showHelp('credentials');
  if (sub !== 'reseal') throw new UsageError(`unknown credentials command "${sub}" (see "jonkkins credentials --help")`);
  const v = parse('credentials', rest, { 'previous-key-file': { type: 'string' } });
  if (v.help) return showHelp('credentials');
  const file = v['previous-key-file'];
  const previousSecret = process.env.JONKKINS_PREVIOUS_SECRET;
  if (!file && !previousSecret) throw new UsageError('the previous key is needed: set JONKKINS_PREVIOUS_SECRET or give --previous-key-file');
  const previous = file ? Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url') : Buffer.from(previousSecret!, 'utf8');
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const [{ startServices }, [{ createDatabasePool }], { loadSigningKey }, { CredentialsService }] = await Promise.all([
    loadMaster(),
    loadDatabase(),
    import('../master/src/auth/tokens.ts'),
    import('../master/src/credentials/credentials.ts'),
  ]);
  const services = await startServices(config, log, { redis: false });
  try {
    const pool = await createDatabasePool(services.databaseUrl, 1);
    try {
      const current = await loadSigningKey({ secret: config.secret, home: config.home });
      const { resealed, unreadable } = await new CredentialsService(pool, current).reseal(previous);
      console.log(`resealed ${resealed.length} credential(s)${resealed.length ? `: ${resealed.join(', ')}` : ''}`);
      if (unreadable.length > 0) {
        console.error(`jonkkins: ${unreadable.length} credential(s) open with neither key (enter their secrets again): ${unreadable.join(', ')}`);
        return EXIT.failed;
      }
    } finally {
      await pool.end();
    }
  } finally {
    await services.stop();
  }
  return EXIT.ok;
}

async function main(argv: string[]): Promise<number> {
  const [command = '', ...args] = argv;
  if (command === '' || command === '--help' || command === '-h' || command === 'help') return showHelp(args[0] && HELP[args[0]] ? args[0] : '');
  if (command === 'agent') return runAgent(args);
  if (command === 'apply' || command === 'export') return runJobsAsCode(command, args);
  if (!(command in HELP)) throw new UsageError(`unknown command "${command}" (see "jonkkins --help")`);
  if (command === 'credentials') return runCredentials(args);
  const v = parse(command, args, command === 'start' ? { executors: { type: 'string' }, 'no-agent': { type: 'boolean' } } : {});
  if (v.help) return showHelp(command);
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  if (command === 'migrate') {
    const [{ startServices }, [{ createDatabasePool }, { migrate }]] = await Promise.all([loadMaster(), loadDatabase()]);
    const services = await startServices(config, log, { redis: false });
    try {
      const pool = await createDatabasePool(services.databaseUrl, 1);
      const applied = await migrate(pool).finally(() => pool.end());
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the database schema is up to date');
    } finally {
      await services.stop();
    }
    return EXIT.ok;
  }
  await loadStepKinds(false);
  if (command === 'master') return runMaster(config, log);
  const executors = Number(v.executors ?? 2);
  if (!Number.isInteger(executors) || executors < 1 || executors > 64) throw new UsageError(`--executors must be a whole number from 1 to 64, got "${v.executors}"`);
  return runMaster(config, log, v['no-agent'] ? undefined : { executors });
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`jonkkins: ${err.message}`);
    process.exitCode = EXIT.usage;
  } else if (err instanceof ConfigError) {
    console.error(`jonkkins: ${err.message}`);
    process.exitCode = EXIT.config;
  } else if (err instanceof (await loadDatabase())[1].NewerSchemaError) {
    console.error(`jonkkins: ${err.message}`);
    process.exitCode = EXIT.failed;
  } else {
    console.error(`jonkkins: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = EXIT.failed;
  }
}
// Stray handles (a reconnecting client, a timer) must not keep a finished command alive.
process.exit(process.exitCode);
