/**
 * Who may ask the master anything: people (users) and agents. These schemas are the single
 * definition used by the API, the database layer, the agent and the UI.
 */
import { z } from 'zod';

/** Names of users and agents: 1–64 letters, digits, `_ - .` (unique case-insensitively). */
export const Name = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 characters of letters, digits, "_", "-" and "."');

/** Passwords: at least 8 characters; 1,024 at most so hashing cannot be made a denial of service. */
export const Password = z.string().min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters');

/** Roles of people. */
export const Role = z.enum([
  'admin', // manages users, agents and settings, and can do everything a user can
  'user', // defines and runs jobs
]);
export type Role = z.infer<typeof Role>;

/** Kinds of token holder. */
export const PrincipalKind = z.enum([
  'user', // a person, logged in with /login
  'agent', // an agent process, logged in with /login-slave
]);
export type PrincipalKind = z.infer<typeof PrincipalKind>;

export const RegisterUserRequest = z.strictObject({
  username: Name,
  password: Password,
  fullName: z.string().max(200).optional(),
  email: z.email().max(254).optional(),
  /** Only an admin may set it; defaults to `user` (the first user is always `admin`). */
  role: Role.optional(),
  /** Creating the first admin on a master that listens beyond loopback: the code it logged (see GET /api/setup). */
  setupCode: z.string().max(200).optional(),
});
export type RegisterUserRequest = z.infer<typeof RegisterUserRequest>;

export const UpdateUserRequest = z.strictObject({
  password: Password.optional(),
  /** Required with `password` when people change their own (not when an admin sets someone else's). */
  currentPassword: z.string().max(1024).optional(),
  fullName: z.string().max(200).optional(),
  email: z.email().max(254).nullable().optional(),
  role: Role.optional(),
});
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

export const LoginRequest = z.strictObject({ username: z.string().max(64), password: z.string().max(1024) });

/** A user as the API shows it: never the password or its hash. */
export const User = z.object({
  username: z.string(),
  fullName: z.string(),
  email: z.string().nullable(),
  role: Role,
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
});
export type User = z.infer<typeof User>;

/** Labels are label-expression atoms: no whitespace and none of `& | ! < > ( ) " '`. */
export const Label = z
  .string()
  .regex(/^[^\s&|!<>()"']{1,64}$/, 'must be 1–64 characters without whitespace or any of & | ! < > ( ) " \'');

export const Executors = z.number().int().min(1, 'must be 1–64').max(64, 'must be 1–64');

export const RegisterAgentRequest = z.strictObject({
  name: Name,
  executors: Executors,
  labels: z.array(Label).max(100).default([]),
  description: z.string().max(2000).optional(),
});
export type RegisterAgentRequest = z.infer<typeof RegisterAgentRequest>;

export const UpdateAgentRequest = z.strictObject({
  executors: Executors.optional(),
  labels: z.array(Label).max(100).optional(),
  description: z.string().max(2000).optional(),
});
export type UpdateAgentRequest = z.infer<typeof UpdateAgentRequest>;

/** An agent as the API shows it: never its secret (except once, in RegisteredAgent). */
export const Agent = z.object({
  name: z.string(),
  description: z.string(),
  executors: z.number(),
  labels: z.array(z.string()),
  /** Labels the agent gave itself by probing its machine at its last login (`docker`); they count as labels too. */
  probedLabels: z.array(z.string()),
  online: z.boolean(),
  lastSeenAt: z.string().nullable(),
  createdAt: z.string(),
  /** The protocol version it stated at its last login; null before its first login. */
  protocolVersion: z.number().nullable(),
  /** Its software version as it stated it at its last login; null when it never said. */
  agentVersion: z.string().nullable(),
});
export type Agent = z.infer<typeof Agent>;

/** An agent with its new secret, as the agents service returns it. */
export type AgentWithSecret = Agent & { secret: string };

/** The answer to registering an agent or regenerating its secret: the only time the secret is shown. */
export const RegisteredAgent = Agent.extend({
  secret: z.string(),
  /** The shell command line that starts this agent against the public URL, values single-quoted. */
  command: z.string(),
});
export type RegisteredAgent = z.infer<typeof RegisteredAgent>;

export const SecuritySettings = z.strictObject({
  /** When true, anyone may register as a `user` without a token. */
  selfSignup: z.boolean(),
});
export type SecuritySettings = z.infer<typeof SecuritySettings>;

/** What GET /api/whoami answers. */
export const WhoAmI = z.object({
  kind: PrincipalKind,
  name: z.string(),
  role: Role.nullable(),
  fullName: z.string().nullable(),
  authTime: z.string(),
  expiresAt: z.string(),
});
export type WhoAmI = z.infer<typeof WhoAmI>;

/** POST /api/users/:name/tokens: a new API token (for HTTP Basic `user:token`), named so its owner can tell it apart. */
export const NewApiTokenRequest = z.strictObject({ name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters') });
export type NewApiTokenRequest = z.infer<typeof NewApiTokenRequest>;

/** An API token as listed: never its value (only its SHA-256 is kept). */
export const ApiToken = z.object({ uuid: z.string(), name: z.string(), createdAt: z.string(), lastUsedAt: z.string().nullable(), useCount: z.number() });
export type ApiToken = z.infer<typeof ApiToken>;

/** A token just made, as Jenkins' generateNewToken answers it: the one time its value is shown. */
export const NewApiToken = z.object({ tokenName: z.string(), tokenUuid: z.string(), tokenValue: z.string() });
export type NewApiToken = z.infer<typeof NewApiToken>;
