/**
 * The agent process: logs in, keeps its token fresh, beats its heart, and survives a master
 * that goes away; once logged in it works its queues and runs builds (work-loop.ts). At start-up
 * it kills what a dead predecessor with the same name and workdir left running, and probes once
 * for a container CLI (container-cli.ts): where one works, every login states the label `docker`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HEARTBEAT_INTERVAL_MS, TOKEN_RENEW_INTERVAL_MS, type AgentCredentials } from '../../shared/src/agent-protocol.ts';
import { Backoff } from '../../shared/src/backoff.ts';
import { agentEnvironment } from './build-runner.ts';
import { findContainerCli, type ContainerCli, type ContainerCliChoice } from './container-cli.ts';
import { isRetryable, MasterClient, MasterError } from './master-client.ts';
import { AGENT_COOKIE_VAR, agentCookie, killProcessesWithEnv } from './stray-processes.ts';
import { WorkLoop } from './work-loop.ts';

export interface AgentOptions extends AgentCredentials {
  url: string;
  workdir: string;
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  heartbeatMs?: number;
  renewMs?: number;
  /** How often the work config is read again (WORK_CONFIG_REFRESH_MS). */
  workConfigRefreshMs?: number;
  /** After stop(): how long aborted builds may keep trying to report to the master. */
  stopGraceMs?: number;
  /** SIGTERM → SIGKILL grace for a step's processes. */
  killGraceMs?: number;
  /** The protocol version stated at login: PROTOCOL_VERSION unless a test plays an older agent. */
  protocolVersion?: number;
  /**
   * The container CLI of dockerBuild steps (container-cli.ts; the command: JONKKINS_CONTAINER_CLI):
   * probed once before the first login, which then states the label `docker` when one works. Default auto.
   */
  containerCli?: ContainerCliChoice;
  /** The agent's environment for its builds and the probe (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface RunningAgent {
  /** Resolves once the first login succeeded. */
  ready: Promise<void>;
  /** Settles when the agent ends: resolves after stop(), rejects if the master refuses its credentials. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** The master refused the agent's login (its name or secret, its protocol version): retrying cannot help, an operator must act. */
export class CredentialsRefusedError extends Error {}

export function startAgent(opts: AgentOptions): RunningAgent {
  // Probed once, in parallel with the search for leftovers; the first login waits for it.
  let containerCli: ContainerCli | null = null;
  const probed = findContainerCli(opts.containerCli ?? 'auto', agentEnvironment(opts.env ?? process.env, opts.secret)).then((cli) => {
    containerCli = cli;
    opts.log.info(`agent ${opts.name}: ${cli ? `dockerBuild steps use ${cli.command}` : 'no container CLI works here: no dockerBuild steps'}`);
    return cli ? (['docker'] as const) : [];
  });
  const client = new MasterClient(opts.url, { name: opts.name, secret: opts.secret }, opts.protocolVersion, probed);
  const stop = new AbortController();
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_INTERVAL_MS;
  const renewMs = opts.renewMs ?? TOKEN_RENEW_INTERVAL_MS;
  let markReady: () => void = () => {};
  let failReady: (err: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => {}); // observed through `done` as well
  const work = new WorkLoop({
    client,
    name: opts.name,
    secret: opts.secret,
    workdir: opts.workdir,
    log: opts.log,
    refreshMs: opts.workConfigRefreshMs,
    stopGraceMs: opts.stopGraceMs,
    killGraceMs: opts.killGraceMs,
    env: opts.env,
    containerCli: () => containerCli,
  });

  const loop = (async () => {
    await Promise.all([killLeftovers(opts), probed]);
    let failures = 0;
    const backoff = new Backoff({ initialMs: 1000, maxMs: 30_000 });
    let lastRenew = Date.now();
    while (!stop.signal.aborted) {
      try {
        if (!client.loggedIn) {
          await client.login().catch((err: MasterError) => {
            throw !isRetryable(err) ? new CredentialsRefusedError(`agent ${opts.name}: ${err.message}`) : err;
          });
          lastRenew = Date.now();
          opts.log.info(`agent ${opts.name}: logged in to ${opts.url}`);
          markReady();
          work.start();
        } else if (Date.now() - lastRenew >= renewMs) {
          await client.renew();
          lastRenew = Date.now();
        }
        await client.heartbeat();
        if (failures > 0) opts.log.info(`agent ${opts.name}: connected to the master again`);
        failures = 0;
        backoff.reset();
        await sleep(heartbeatMs, undefined, { signal: stop.signal }).catch(() => {});
      } catch (err) {
        if (stop.signal.aborted) break;
        if (err instanceof CredentialsRefusedError) {
          failReady(err);
          throw err;
        }
        failures++;
        const e = err as MasterError;
        // 1 s, 2 s, 4 s … 30 s, or longer when the master's Retry-After asks for it.
        const wait = backoff.next(e.retryAfterMs);
        opts.log.warn(`agent ${opts.name}: ${e.message ?? String(err)}; retrying in ${Math.round(wait / 1000)} s`);
        await sleep(wait, undefined, { signal: stop.signal }).catch(() => {});
      }
    }
  })();

  // Settles only once the builds are over and Redis is closed, also when the credentials were refused.
  const done = (async () => {
    try {
      await loop;
    } finally {
      stop.abort();
      await work.stop();
    }
  })();

  return {
    ready,
    done,
    async stop() {
      stop.abort();
      await done.catch(() => {});
    },
  };
}

/** SIGKILLs the processes of builds that a dead predecessor (same name, same workdir) left running. */
async function killLeftovers(opts: AgentOptions): Promise<void> {
  try {
    const killed = await killProcessesWithEnv(AGENT_COOKIE_VAR, agentCookie(opts.name, opts.workdir));
    if (killed.length > 0) opts.log.warn(`agent ${opts.name}: killed ${killed.length} process(es) a previous run of this agent left behind (pids ${killed.join(', ')})`);
  } catch (err) {
    opts.log.warn(`agent ${opts.name}: could not look for processes left behind: ${(err as Error).message}`);
  }
}

export { MasterError };
