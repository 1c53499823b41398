import type { Role } from '../../../shared/src/identity.ts';

/**
 * How a person's request proved who it is: a login session's bearer token, or HTTP Basic with an
 * API token or the password (Jenkins clients and scripts). Basic requests have no session.
 */
export type UserCredential = 'session' | 'apiToken' | 'password';

/** Who is asking: the one typed view of a verified token, found on `ctx.state.principal`. */
export type Principal =
  | { kind: 'user'; id: number; name: string; role: Role; authTime: number; expiresAt: number; jti: string; sessionId: string | null; via: UserCredential }
  | { kind: 'agent'; id: number; name: string; role: null; authTime: number; expiresAt: number; jti: string; secretVersion: number; session: string };

export interface AuthState {
  principal?: Principal;
}
