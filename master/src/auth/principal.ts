import type { Role } from '../../../shared/src/identity.ts';

/** Who is asking: the one typed view of a verified token, found on `ctx.state.principal`. */
export type Principal =
  | { kind: 'user'; id: number; name: string; role: Role; authTime: number; expiresAt: number; jti: string; sessionId: string }
  | { kind: 'agent'; id: number; name: string; role: null; authTime: number; expiresAt: number; jti: string; secretVersion: number; session: string };

export interface AuthState {
  principal?: Principal;
}
