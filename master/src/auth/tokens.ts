/**
 * JWS tokens for people and agents: HS256, 15 minutes from issue, renewable until the session's
 * maximum age (the `auth_time` claim is carried from the login through every renewal).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SignJWT } from 'jose';
import type { PrincipalKind, Role } from '../../../shared/src/identity.ts';

export const TOKEN_LIFETIME_SECONDS = 900;
export const TOKEN_ALGORITHM = 'HS256';

/**
 * What a valid token says. `sub` is the account's name (for display), `uid` its id: a token is
 * bound to the account, so a new account that takes a deleted one's name does not inherit its
 * tokens. `sid` is a person's session (sql/0012_sessions.sql) or an agent process's (builds belong to it); `role` is null for agents; `ver` is
 * an agent's secret version.
 */
export interface TokenClaims {
  sub: string;
  uid: number;
  sid?: string;
  kind: PrincipalKind;
  role: Role | null;
  iat: number;
  exp: number;
  jti: string;
  auth_time: number;
  ver?: number;
}

export interface TokenSubject {
  sub: string;
  uid: number;
  /** A person's session id (sql/0012_sessions.sql), or an agent's: one run of the agent process (builds belong to it). */
  sid?: string;
  kind: PrincipalKind;
  role: Role | null;
  /** When the person or agent last proved who they are (seconds since the epoch). */
  authTime: number;
  ver?: number;
}

export class TokenIssuer {
  readonly key: Buffer;
  readonly #now: () => number;
  constructor(key: Buffer, now: () => number = Date.now) {
    if (key.length < 32) throw new Error('token signing key must be at least 32 bytes');
    this.key = key;
    this.#now = now;
  }

  /** Signs a token that expires exactly TOKEN_LIFETIME_SECONDS after it is issued. */
  async issue(subject: TokenSubject): Promise<{ token: string; claims: TokenClaims }> {
    const iat = Math.floor(this.#now() / 1000);
    const claims: TokenClaims = {
      sub: subject.sub,
      uid: subject.uid,
      ...(subject.sid === undefined ? {} : { sid: subject.sid }),
      kind: subject.kind,
      role: subject.role,
      iat,
      exp: iat + TOKEN_LIFETIME_SECONDS,
      jti: randomUUID(),
      auth_time: subject.authTime,
      ...(subject.ver === undefined ? {} : { ver: subject.ver }),
    };
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'JWT' }).sign(this.key);
    return { token, claims };
  }
}

/**
 * The signing key: JONKKINS_SECRET when set, else a random key generated once and kept in
 * JONKKINS_HOME/secret.key (mode 0600) so tokens survive a restart.
 */
export async function loadSigningKey(opts: { secret: string | undefined; home: string }): Promise<Buffer> {
  if (opts.secret) return Buffer.from(opts.secret, 'utf8');
  const file = join(opts.home, 'secret.key');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(48);
  await writeFile(file, key.toString('base64url'), { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err; // another process won the race: use its key
  });
  await chmod(file, 0o600);
  return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
}
