/**
 * The signed-in person's token: the one owner of `localStorage['jonkkins.token']`. It renews the
 * token in the background while the person is active (tokens live 15 minutes) and announces
 * when the session ends, so the app can show the login page and come back afterwards.
 */
const STORAGE_KEY = 'jonkkins.token';
/** Renew when less than this is left… */
const RENEW_BEFORE_MS = 5 * 60_000;
/** …and the person did something in the last this long. */
const ACTIVE_WITHIN_MS = 10 * 60_000;

export interface TokenClaims {
  sub: string;
  role: 'admin' | 'user' | null;
  exp: number;
  auth_time: number;
}

export type SessionEndReason = 'expired' | 'logged-out';

function decodeClaims(token: string): TokenClaims | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as TokenClaims;
    return typeof claims.sub === 'string' && typeof claims.exp === 'number' ? claims : null;
  } catch {
    return null;
  }
}

class Session extends EventTarget {
  #lastActivity = Date.now();
  #renewing: Promise<void> | null = null;

  get token(): string | null {
    return localStorage.getItem(STORAGE_KEY);
  }

  /** The claims of a token that has not expired yet, else null. */
  get claims(): TokenClaims | null {
    const token = this.token;
    const claims = token ? decodeClaims(token) : null;
    return claims && claims.exp * 1000 > Date.now() ? claims : null;
  }

  get signedIn(): boolean {
    return this.claims !== null;
  }

  get isAdmin(): boolean {
    return this.claims?.role === 'admin';
  }

  start(token: string): void {
    localStorage.setItem(STORAGE_KEY, token);
    this.dispatchEvent(new Event('change'));
  }

  /** Forget the token; listeners show the login page (with a message when it expired). */
  end(reason: SessionEndReason): void {
    const had = this.token !== null;
    localStorage.removeItem(STORAGE_KEY);
    if (had || reason === 'expired') this.dispatchEvent(new CustomEvent<SessionEndReason>('end', { detail: reason }));
    this.dispatchEvent(new Event('change'));
  }

  /** Call on user input: renewal happens only for people who are using the page. */
  noteActivity(): void {
    this.#lastActivity = Date.now();
  }

  /** Renews the token when it is close to expiry and the person is active. */
  async renewIfDue(renew: () => Promise<string>): Promise<void> {
    const claims = this.claims;
    if (!claims || this.#renewing) return;
    const left = claims.exp * 1000 - Date.now();
    if (left > RENEW_BEFORE_MS || Date.now() - this.#lastActivity > ACTIVE_WITHIN_MS) return;
    this.#renewing = renew()
      .then((token) => localStorage.setItem(STORAGE_KEY, token))
      .catch(() => undefined) // a refused renewal shows up as a 401 on the next request
      .finally(() => (this.#renewing = null));
    await this.#renewing;
  }
}

export const session = new Session();
