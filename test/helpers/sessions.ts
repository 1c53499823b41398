/**
 * A person's token made by a test rather than by /login (e.g. one issued long ago): a session row
 * for the user, as a login would write it, and a token of that session.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'slonik';
import { z } from 'zod';
import { TokenIssuer } from '../../master/src/auth/tokens.ts';
import type { TestMaster } from './test-master.ts';

export async function sessionToken(m: TestMaster, username: string, opts: { issuedAgoMs?: number; key?: Buffer } = {}): Promise<string> {
  const now = m.clock.now() - (opts.issuedAgoMs ?? 0); // the master's clock
  const authTime = Math.floor(now / 1000);
  const user = await m.pool.one(sql.type(z.object({ id: z.coerce.number(), role: z.enum(['admin', 'user']) }))`
    SELECT id, role FROM users WHERE lower(username) = lower(${username})`);
  const sid = randomUUID();
  await m.pool.query(sql.unsafe`INSERT INTO sessions (id, user_id, created_at) VALUES (${sid}, ${user.id}, to_timestamp(${authTime}))`);
  const issuer = new TokenIssuer(opts.key ?? m.signingKey, () => now);
  return (await issuer.issue({ sub: username, uid: user.id, sid, kind: 'user', role: user.role, authTime })).token;
}
