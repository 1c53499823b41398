/**
 * The Redis credentials an agent gets in its work config: never the master's own. By default the
 * master (which has admin rights on its Redis: the embedded one always, an external one when its
 * user may run ACL SETUSER) keeps one Redis ACL user per agent, allowed exactly:
 *  - the keys of the BullMQ queues the agent works (`<queue prefix>:<queue>:*`), nothing else: the
 *    login throttle's counters, other prefixes and the master's other keys are out of reach;
 *  - the commands a manually fetching BullMQ worker and its QueueEvents run, directly or inside
 *    their Lua scripts (Redis checks a script's calls against the caller's rights too);
 *  - SUBSCRIBE on the "work config changed" channel alone: no PUBLISH anywhere, so no forged live
 *    events; no admin, keyspace-wide or dangerous command (FLUSHALL, KEYS, CONFIG, ACL, INFO…).
 * Its password is derived from the signing key, the agent's name, row and secret version, so every
 * master computes the same one, and a new secret or a re-registered name makes a new password. A
 * work-config read writes the user only when its rules must change (the agent's queues follow labels
 * and jobs): the master remembers what it set, and forgets it all whenever its own connection to
 * Redis comes back, as a Redis that went away may have lost its users (a restart); the agent, refused,
 * reads its work config again, which then writes the user anew. A deleted agent or a new secret
 * deletes the user, which also drops its open connections.
 *
 * When the operator sets JONKKINS_AGENT_REDIS_URL with a user name in it, every agent gets that URL
 * as it is and no user is written (README: Security, for a Redis on which the master has no ACL rights).
 */
import { createHash, createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { workConfigChannel } from '../../../shared/src/agent-protocol.ts';
import { DomainError, UnauthorizedError } from '../errors.ts';
import type { Logger } from '../log.ts';

/**
 * What bullmq 6's Worker (getNextJob without blocking, extendLock, moveToCompleted/Failed/Wait,
 * the stalled check) and QueueEvents (XREAD) call: the commands of its Lua scripts, EVALSHA/EVAL to
 * run them, and connection housekeeping. Checked by test/master/agent-redis-acl.test.ts.
 */
export const AGENT_REDIS_COMMANDS = [
  // connection
  'ping', 'echo', 'select', 'quit', 'reset', 'hello', 'client|setname', 'client|getname', 'client|id',
  // running BullMQ's scripts, and its pipelines
  'evalsha', 'eval', 'multi', 'exec', 'discard',
  // what the scripts (and a few direct calls) use; every one of them touches keys, which the key patterns limit
  'del', 'exists', 'get', 'set', 'incr', 'incrby', 'type', 'unlink', 'rename', 'persist', 'pexpire', 'pexpireat', 'pttl', 'time',
  'hdel', 'hexists', 'hget', 'hgetall', 'hincrby', 'hlen', 'hmget', 'hmset', 'hset',
  'lindex', 'llen', 'lpop', 'lpos', 'lpush', 'lrange', 'lrem', 'lset', 'ltrim', 'rpop', 'rpoplpush', 'rpush',
  'sadd', 'scard', 'sismember', 'smembers', 'srem',
  'xadd', 'xdel', 'xlen', 'xrange', 'xread', 'xtrim',
  'zadd', 'zcard', 'zcount', 'zlexcount', 'zpopmin', 'bzpopmin', 'zrange', 'zrangebylex', 'zrangebyscore', 'zrem',
  'zremrangebyrank', 'zremrangebyscore', 'zrevrange', 'zrevrangebyscore', 'zscore',
  // the "work config changed" announcement (the channel pattern allows only that one)
  'subscribe', 'unsubscribe',
] as const;

export interface AgentRedis {
  url: string;
  prefix: string;
}

export interface AgentRedisOptions {
  /** The master's own connection, with the right to run ACL SETUSER / DELUSER. */
  admin: Redis;
  /** Where agents connect: without a user name, a user per agent is put in; with one, handed as is. */
  agentUrl: string;
  /** BullMQ's key prefix (`<master prefix>bull`). */
  queuePrefix: string;
  signingKey: Buffer;
  log: Logger;
}

export class AgentRedisAccess {
  readonly #o: AgentRedisOptions;
  /** Set when the operator gave agents a user of their own (JONKKINS_AGENT_REDIS_URL with a user). */
  readonly #fixed: boolean;
  /** Names of this master's agent users begin with it, so that masters on other prefixes never clash. */
  readonly #userTag: string;
  #refusedLogged = false;
  /** The rules this master last set for each user, as long as its Redis connection has not dropped since. */
  readonly #written = new Map<string, string>();

  constructor(opts: AgentRedisOptions) {
    this.#o = opts;
    const url = new URL(opts.agentUrl);
    this.#fixed = url.username !== '';
    this.#userTag = agentUserTag(opts.queuePrefix);
    // Back after an outage: Redis may have restarted without the users; write each again when asked.
    opts.admin.on('ready', this.#forget);
  }

  readonly #forget = () => this.#written.clear();

  /** Stops listening to the master's Redis connection (which outlives this master in tests). */
  close(): void {
    this.#o.admin.off('ready', this.#forget);
  }

  /**
   * The agent's Redis user name on this master's prefix: one per registration and secret, so that a
   * work-config read still in flight for an old secret can only bring back that old user, which the
   * check after it deletes again. `+` is in no agent name.
   */
  userName(agent: { id: number; name: string; secretVersion: number }): string {
    return `${this.#agentTag(agent.name)}${agent.id}+${agent.secretVersion}`;
  }

  #agentTag(name: string): string {
    return `${this.#userTag}${name.toLowerCase()}+`;
  }

  /** The agent's URL and prefix, after making sure its Redis user exists with exactly these queues. */
  /** `current` answers whether the agent still has this registration and secret (read after the user is written). */
  async forAgent(agent: { id: number; name: string; secretVersion: number }, queues: readonly string[], current: () => Promise<boolean>): Promise<AgentRedis> {
    const prefix = this.#o.queuePrefix;
    if (this.#fixed) return { url: this.#o.agentUrl, prefix };
    const user = this.userName(agent);
    const password = createHmac('sha256', this.#o.signingKey).update(`agent-redis\0${user}\0${agent.id}\0${agent.secretVersion}`).digest('hex');
    const rules = [
      'reset', 'on', `#${createHash('sha256').update(password).digest('hex')}`,
      ...queues.map((q) => `~${globEscape(`${prefix}:${q}:`)}*`),
      `&${globEscape(workConfigChannel(prefix))}`,
      '-@all', ...AGENT_REDIS_COMMANDS.map((c) => `+${c}`),
    ];
    const written = rules.join(' ');
    if (this.#written.get(user) !== written) {
      try {
        await this.#o.admin.call('ACL', 'SETUSER', user, ...rules);
      } catch (err) {
        throw this.#refused(err as Error);
      }
      if (!(await current())) {
        // The secret changed (or the agent went) while this request ran: its revoke may have come first.
        await this.#o.admin.call('ACL', 'DELUSER', user);
        throw new UnauthorizedError('The agent\'s secret changed; log in again');
      }
      this.#written.set(user, written);
    }
    const url = new URL(this.#o.agentUrl);
    url.username = user;
    url.password = password;
    return { url: url.toString(), prefix };
  }

  /** Deletes the agent's users, dropping their connections (the agent was deleted or got a new secret). */
  async revoke(agent: string): Promise<void> {
    if (this.#fixed) return;
    try {
      for (const user of this.#written.keys()) if (user.startsWith(this.#agentTag(agent))) this.#written.delete(user);
      const users = ((await this.#o.admin.call('ACL', 'USERS')) as string[]).filter((u) => u.startsWith(this.#agentTag(agent)));
      if (users.length > 0) await this.#o.admin.call('ACL', 'DELUSER', ...users);
    } catch (err) {
      this.#o.log.warn({ err: (err as Error).message, agent }, "could not delete the agent's Redis users");
    }
  }

  #refused(err: Error): DomainError {
    const message =
      'The master cannot create a Redis user for agents on its Redis (ACL SETUSER failed), and it never hands agents its own credentials: ' +
      'set JONKKINS_AGENT_REDIS_URL to a Redis URL with a user of the agents\' own (see README, Security).';
    if (!this.#refusedLogged) {
      this.#refusedLogged = true;
      this.#o.log.error({ err: err.message }, message);
    }
    return new DomainError(503, 'internal', message);
  }
}

/** Every agent user name of a master with this queue prefix begins with it (tests clean them up). */
export function agentUserTag(queuePrefix: string): string {
  return `jk-agent.${createHash('sha256').update(queuePrefix).digest('hex').slice(0, 10)}.`;
}

/** `value` as a Redis glob pattern that matches only itself. */
function globEscape(value: string): string {
  return value.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
