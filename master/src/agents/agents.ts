/** The agents service: the only code that reads or writes the agents table. */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { Agent, AgentWithSecret, RegisterAgentRequest, UpdateAgentRequest } from '../../../shared/src/identity.ts';
import { ConflictError, NotFoundError, UnauthorizedError } from '../errors.ts';
import { hashSecret, newAgentSecret, verifyAgainstDecoy, verifySecret } from '../auth/secret-hash.ts';
import { sqlTime, type Clock } from '../clock.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const AgentSecretRow = z.object({ id: z.coerce.number(), name: z.string(), secret_hash: z.string(), secret_version: z.number() });
const CameOnlineRow = z.object({ came_online: z.boolean() });
const NameRow = z.object({ name: z.string() });
/** An agent is online while its last heartbeat is younger than this (agents beat every 10 s). */
export const ONLINE_WINDOW_SECONDS = 30;

const AgentRow = z.object({
  id: z.coerce.number(),
  name: z.string(),
  description: z.string(),
  executors: z.number(),
  labels: z.array(z.string()),
  secret_version: z.number(),
  created_at: z.number(),
  last_seen_at: z.number().nullable(),
  online: z.boolean(),
  protocol_version: z.number().nullable(),
  agent_version: z.string().nullable(),
  probed_labels: z.array(z.string()),
});
type AgentRow = z.infer<typeof AgentRow>;
/** The columns of an agent, `online` as of `now`. */
const agentColumns = (now: number) => sql.fragment`id, name, description, executors, labels, secret_version, created_at, last_seen_at, protocol_version, agent_version, probed_labels,
  coalesce(last_seen_at > ${sqlTime(now - ONLINE_WINDOW_SECONDS * 1000)}, false) AS online`;

function toAgent(row: AgentRow): Agent {
  return {
    name: row.name,
    description: row.description,
    executors: row.executors,
    labels: row.labels,
    probedLabels: row.probed_labels,
    online: row.online,
    lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    protocolVersion: row.protocol_version,
    agentVersion: row.agent_version,
  };
}

/** What an agent states about itself at login. */
export interface AgentVersions {
  protocolVersion: number;
  /** Null for an agent that did not say. */
  agentVersion: string | null;
  /** Labels it probed for itself (AgentLoginRequest.probedLabels); none when it did not say. */
  probedLabels?: readonly string[];
}


export class AgentsService {
  readonly #pool: DatabasePool;
  readonly #now: Clock;
  constructor(pool: DatabasePool, now: Clock) {
    this.#pool = pool;
    this.#now = now;
  }

  /** Registers an agent; the answer carries its secret, which is never shown again. */
  async register(req: RegisterAgentRequest): Promise<AgentWithSecret> {
    const secret = newAgentSecret();
    const secretHash = await hashSecret(secret);
    const row = await this.#pool.transaction(async (tx) => {
      if (await tx.exists(sql.unsafe`SELECT 1 FROM agents WHERE lower(name) = lower(${req.name})`)) {
        throw new ConflictError(`An agent named '${req.name}' already exists`);
      }
      return tx.one(sql.type(AgentRow)`
        INSERT INTO agents (name, description, executors, labels, secret_hash)
        VALUES (${req.name}, ${req.description ?? ''}, ${req.executors}, ${sql.array(req.labels, 'text')}, ${secretHash})
        RETURNING ${agentColumns(this.#now())}`);
    });
    return { ...toAgent(row), secret };
  }

  async list(): Promise<Agent[]> {
    const rows = await this.#pool.any(sql.type(AgentRow)`SELECT ${agentColumns(this.#now())} FROM agents ORDER BY lower(name)`);
    return rows.map(toAgent);
  }

  async get(name: string): Promise<Agent> {
    return toAgent(await this.#row(name));
  }

  async update(name: string, req: UpdateAgentRequest): Promise<Agent> {
    const row = await this.#pool.maybeOne(sql.type(AgentRow)`
      UPDATE agents SET
        executors = coalesce(${req.executors ?? null}, executors),
        labels = coalesce(${req.labels ? sql.array(req.labels, 'text') : null}, labels),
        description = coalesce(${req.description ?? null}, description)
      WHERE lower(name) = lower(${name})
      RETURNING ${agentColumns(this.#now())}`);
    if (!row) throw new NotFoundError(`No agent named '${name}'`);
    return toAgent(row);
  }

  /** A new secret; the old secret and every token issued under it stop working at once. */
  async regenerateSecret(name: string): Promise<AgentWithSecret> {
    const secret = newAgentSecret();
    const row = await this.#pool.maybeOne(sql.type(AgentRow)`
      UPDATE agents SET secret_hash = ${await hashSecret(secret)}, secret_version = secret_version + 1
      WHERE lower(name) = lower(${name})
      RETURNING ${agentColumns(this.#now())}`);
    if (!row) throw new NotFoundError(`No agent named '${name}'`);
    return { ...toAgent(row), secret };
  }

  async delete(name: string): Promise<void> {
    const gone = await this.#pool.query(sql.unsafe`DELETE FROM agents WHERE lower(name) = lower(${name})`);
    if (gone.rowCount === 0) throw new NotFoundError(`No agent named '${name}'`);
  }

  /**
   * Checks an agent's name and secret; the same error for an unknown agent and a wrong secret.
   * On success the versions it stated are recorded (Manage → Nodes shows them).
   */
  async authenticate(name: string, secret: string, versions?: AgentVersions): Promise<{ id: number; name: string; secretVersion: number; cameOnline: boolean }> {
    const row = await this.#pool.maybeOne(sql.type(AgentSecretRow)`
      SELECT id, name, secret_hash, secret_version FROM agents WHERE lower(name) = lower(${name})`);
    const ok = row ? await verifySecret(row.secret_hash, secret) : await verifyAgainstDecoy(secret);
    if (!row || !ok) throw new UnauthorizedError('Invalid agent name or secret');
    if (versions) {
      await this.#pool.query(sql.unsafe`
        UPDATE agents SET protocol_version = ${versions.protocolVersion}, agent_version = ${versions.agentVersion},
          probed_labels = ${sql.array([...new Set(versions.probedLabels ?? [])], 'text')} WHERE name = ${row.name}`);
    }
    const cameOnline = await this.heartbeat(row.name);
    return { id: row.id, name: row.name, secretVersion: row.secret_version, cameOnline };
  }

  /** Records that the agent is alive (login and every heartbeat); true when it was offline until now. */
  async heartbeat(name: string): Promise<boolean> {
    const now = this.#now();
    const cameOnline = await this.#pool.maybeOneFirst(sql.type(CameOnlineRow)`
      WITH before AS (SELECT id, last_seen_at FROM agents WHERE lower(name) = lower(${name}) FOR UPDATE)
      UPDATE agents a SET last_seen_at = ${sqlTime(now)} FROM before WHERE a.id = before.id
      RETURNING coalesce(before.last_seen_at <= ${sqlTime(now - ONLINE_WINDOW_SECONDS * 1000)}, true) AS came_online`);
    return cameOnline ?? false;
  }

  /** Agents whose last heartbeat aged past the online window during the last `periodMs`. */
  async wentOfflineWithin(periodMs: number): Promise<string[]> {
    const offlineSince = this.#now() - ONLINE_WINDOW_SECONDS * 1000;
    const names = await this.#pool.anyFirst(sql.type(NameRow)`
      SELECT name FROM agents WHERE last_seen_at <= ${sqlTime(offlineSince)} AND last_seen_at > ${sqlTime(offlineSince - periodMs)}`);
    return [...names];
  }

  async #row(name: string): Promise<AgentRow> {
    const row = await this.#pool.maybeOne(sql.type(AgentRow)`SELECT ${agentColumns(this.#now())} FROM agents WHERE lower(name) = lower(${name})`);
    if (!row) throw new NotFoundError(`No agent named '${name}'`);
    return row;
  }
}
