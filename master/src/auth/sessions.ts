/**
 * People's sessions: the only code that reads or writes the sessions table (sql/0012_sessions.sql).
 * A login starts a session; every token of it carries its id (`sid`) and is honoured only while
 * the row exists and belongs to the account the token names by id (`uid`).
 */
import { randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { sqlTime, type Clock } from '../clock.ts';

const SessionUser = z.object({ id: z.coerce.number(), username: z.string(), role: z.enum(['admin', 'user']) });
export type SessionUser = z.infer<typeof SessionUser>;

export class SessionsService {
  readonly #pool: DatabasePool;
  readonly #maxAgeSeconds: number;
  readonly #now: Clock;
  constructor(pool: DatabasePool, maxAgeSeconds: number, now: Clock) {
    this.#pool = pool;
    this.#maxAgeSeconds = maxAgeSeconds;
    this.#now = now;
  }

  /** Starts a session for a person who just gave their password; drops their sessions past the maximum age. */
  async start(userId: number, authTime: number): Promise<string> {
    const id = randomUUID();
    await this.#pool.query(sql.unsafe`
      WITH stale AS (DELETE FROM sessions WHERE user_id = ${userId} AND created_at < ${this.#oldest()})
      INSERT INTO sessions (id, user_id, created_at) VALUES (${id}, ${userId}, to_timestamp(${authTime}))`);
    return id;
  }

  /** The account of a live session, or null when the session ended or belongs to another account. */
  async user(sessionId: string, userId: number): Promise<SessionUser | null> {
    return this.#pool.maybeOne(sql.type(SessionUser)`
      SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = ${sessionId} AND s.user_id = ${userId}`);
  }

  /** Deletes every session past the maximum age (the maintenance loop; a login drops its own person's too). Returns how many. */
  async sweep(): Promise<number> {
    const r = await this.#pool.query(sql.unsafe`DELETE FROM sessions WHERE created_at < ${this.#oldest()}`);
    return r.rowCount;
  }

  /** The creation time before which a session is past the maximum age. */
  #oldest() {
    return sqlTime(this.#now() - this.#maxAgeSeconds * 1000);
  }

  /** Logout: this session's tokens stop working at once. */
  async end(sessionId: string): Promise<void> {
    await this.#pool.query(sql.unsafe`DELETE FROM sessions WHERE id = ${sessionId}`);
  }

  /** Ends every session of a user but `keep` (a password change: the other devices must log in again). */
  async endAllOf(userId: number, keep: string | null, conn: CommonQueryMethods = this.#pool): Promise<void> {
    await conn.query(sql.unsafe`DELETE FROM sessions WHERE user_id = ${userId} AND id IS DISTINCT FROM ${keep}::uuid`);
  }
}
