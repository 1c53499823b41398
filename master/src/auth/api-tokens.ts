/**
 * People's API tokens (Jenkins' ApiTokenProperty): the only code that reads or writes the
 * api_tokens table (sql/0022_api_tokens.sql). A token is shown once, when it is made; only its
 * SHA-256 is stored, so checking one is one indexed look-up — a random 128-bit secret needs no
 * slow hash — and the same statement records its use.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import type { Principal } from './principal.ts';

/** Jenkins' token shape: "11" and 32 hex digits (128 random bits). */
export const API_TOKEN_SHAPE = /^11[0-9a-f]{32}$/;

const TokenRow = z.object({ uuid: z.string(), name: z.string(), created_at: z.number(), last_used_at: z.number().nullable(), use_count: z.coerce.number() });
const TokenOwner = z.object({ id: z.coerce.number(), username: z.string(), role: z.enum(['admin', 'user']), uuid: z.string() });
export type TokenOwner = z.infer<typeof TokenOwner>;

/** A token as its owner's page lists it: never its value. */
export interface ApiTokenInfo {
  uuid: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  useCount: number;
}

/** A token just made: the one time its value is shown (Jenkins' generateNewToken answer). */
export interface NewApiToken {
  tokenName: string;
  tokenUuid: string;
  tokenValue: string;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Who may do what with a person's tokens: make them, only the person; list and revoke, the person or an admin. */
export function checkTokenAccess(by: Principal, username: string, action: 'generate' | 'list' | 'revoke'): void {
  if (by.kind !== 'user') throw new ForbiddenError('API tokens are for people');
  if (by.name.toLowerCase() === username.toLowerCase()) return;
  if (action === 'generate') throw new ForbiddenError('Only the person themselves may make an API token for their account');
  if (by.role !== 'admin') throw new ForbiddenError("Only an administrator may see or revoke another person's API tokens");
}

export class ApiTokensService {
  readonly #pool: DatabasePool;
  constructor(pool: DatabasePool) {
    this.#pool = pool;
  }

  /** A new token for the user named (404 when there is none); its value is in this answer only. */
  async generate(username: string, name: string): Promise<NewApiToken> {
    const value = `11${randomBytes(16).toString('hex')}`;
    const uuid = randomUUID();
    const made = await this.#pool.query(sql.unsafe`
      INSERT INTO api_tokens (uuid, user_id, name, token_hash)
      SELECT ${uuid}, id, ${name}, ${sql.binary(digest(value))} FROM users WHERE lower(username) = lower(${username})`);
    if (made.rowCount === 0) throw new NotFoundError(`No user named '${username}'`);
    return { tokenName: name, tokenUuid: uuid, tokenValue: value };
  }

  /** The user's tokens, oldest first: names, when made and last used, how often (never their values). */
  async list(username: string): Promise<ApiTokenInfo[]> {
    const rows = await this.#pool.any(sql.type(TokenRow)`
      SELECT t.uuid::text, t.name, t.created_at, t.last_used_at, t.use_count FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE lower(u.username) = lower(${username}) ORDER BY t.created_at, t.uuid`);
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return rows.map((r) => ({ uuid: r.uuid, name: r.name, createdAt: iso(r.created_at)!, lastUsedAt: iso(r.last_used_at), useCount: r.use_count }));
  }

  /** Revokes one of the user's tokens: it stops working at once. */
  async revoke(username: string, uuid: string): Promise<void> {
    const gone = z.uuid().safeParse(uuid).success
      ? await this.#pool.query(sql.unsafe`
          DELETE FROM api_tokens t USING users u WHERE u.id = t.user_id AND lower(u.username) = lower(${username}) AND t.uuid = ${uuid}::uuid`)
      : { rowCount: 0 };
    if (gone.rowCount === 0) throw new NotFoundError(`No API token '${uuid}' of '${username}'`);
  }

  /** The account a `username:token` pair belongs to (its use recorded), or null. */
  async verify(username: string, value: string): Promise<TokenOwner | null> {
    if (!API_TOKEN_SHAPE.test(value)) return null;
    return this.#pool.maybeOne(sql.type(TokenOwner)`
      UPDATE api_tokens t SET last_used_at = now(), use_count = t.use_count + 1
      FROM users u
      WHERE t.token_hash = ${sql.binary(digest(value))} AND u.id = t.user_id AND lower(u.username) = lower(${username})
      RETURNING u.id, u.username, u.role, t.uuid::text`);
  }
}
