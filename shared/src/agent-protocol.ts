/**
 * The master↔agent contract. Agents are untrusted: the master validates every message here.
 *
 * Lifecycle of an agent (protocol version 1):
 *  1. The agent logs in: POST /login-slave {name, secret} → a JWS (kind "agent", 15 minutes) in the
 *     Authorization header and as the text/plain body. A wrong name or secret is a 401; repeated
 *     failures are throttled (429 + Retry-After, which the agent honours).
 *  2. Every HEARTBEAT_INTERVAL_MS it calls POST /api/agent/heartbeat; the master shows it online
 *     while heartbeats are younger than 30 s.
 *  3. Before its token expires (every TOKEN_RENEW_INTERVAL_MS) it renews it: POST /api/token.
 *     A 401 anywhere (secret regenerated, agent deleted, session too old) → log in again.
 *  4. If the master cannot be reached, it retries with backoff and never exits on its own.
 * Running builds (queue, start, log, result) extends this contract in the next protocol version.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** Two thirds of the 15-minute token lifetime, leaving room for a slow master. */
export const TOKEN_RENEW_INTERVAL_MS = 10 * 60_000;

export const AGENT_PATHS = {
  login: '/login-slave',
  renew: '/api/token',
  heartbeat: '/api/agent/heartbeat',
} as const;

export const AgentCredentials = z.strictObject({ name: z.string().min(1).max(64), secret: z.string().min(1).max(256) });
export type AgentCredentials = z.infer<typeof AgentCredentials>;
