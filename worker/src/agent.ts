/**
 * The agent process: logs in, keeps its token fresh, beats its heart, and survives a master
 * that goes away. (Running builds arrives with the next protocol version.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HEARTBEAT_INTERVAL_MS, TOKEN_RENEW_INTERVAL_MS, type AgentCredentials } from '../../shared/src/agent-protocol.ts';
import { MasterClient, MasterError } from './master-client.ts';

export interface AgentOptions extends AgentCredentials {
  url: string;
  workdir: string;
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  heartbeatMs?: number;
  renewMs?: number;
}

export interface RunningAgent {
  /** Resolves once the first login succeeded. */
  ready: Promise<void>;
  /** Settles when the agent ends: resolves after stop(), rejects if the master refuses its credentials. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** The master refused the agent's name or secret: retrying cannot help, an operator must act. */
export class CredentialsRefusedError extends Error {}

export function startAgent(opts: AgentOptions): RunningAgent {
  const client = new MasterClient(opts.url, { name: opts.name, secret: opts.secret });
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

  const loop = (async () => {
    let failures = 0;
    let lastRenew = Date.now();
    while (!stop.signal.aborted) {
      try {
        if (!client.loggedIn) {
          await client.login().catch((err: MasterError) => {
            throw err.status === 401 ? new CredentialsRefusedError(`agent ${opts.name}: ${err.message}`) : err;
          });
          lastRenew = Date.now();
          opts.log.info(`agent ${opts.name}: logged in to ${opts.url}`);
          markReady();
        } else if (Date.now() - lastRenew >= renewMs) {
          await client.renew();
          lastRenew = Date.now();
        }
        await client.heartbeat();
        if (failures > 0) opts.log.info(`agent ${opts.name}: connected to the master again`);
        failures = 0;
        await sleep(heartbeatMs, undefined, { signal: stop.signal }).catch(() => {});
      } catch (err) {
        if (stop.signal.aborted) break;
        if (err instanceof CredentialsRefusedError) {
          failReady(err);
          throw err;
        }
        failures++;
        const e = err as MasterError;
        // Backoff: 1 s, 2 s, 4 s … 30 s, or what the master's Retry-After asks for.
        const wait = e.retryAfterMs ?? Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5));
        opts.log.warn(`agent ${opts.name}: ${e.message ?? String(err)}; retrying in ${Math.round(wait / 1000)} s`);
        await sleep(wait, undefined, { signal: stop.signal }).catch(() => {});
      }
    }
  })();

  return {
    ready,
    done: loop,
    async stop() {
      stop.abort();
      await loop.catch(() => {});
    },
  };
}

export { MasterError };
