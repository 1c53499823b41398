/** The agent's HTTP client for the master: holds the token, logs in again on a 401. */
import { AGENT_PATHS, type AgentCredentials } from '../../shared/src/agent-protocol.ts';

export class MasterError extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, retryAfterMs?: number) {
    super(message);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

export class MasterClient {
  readonly #base: string;
  readonly #credentials: AgentCredentials;
  #token: string | undefined;

  constructor(baseUrl: string, credentials: AgentCredentials) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#credentials = credentials;
  }

  get loggedIn(): boolean {
    return this.#token !== undefined;
  }

  async login(): Promise<void> {
    const res = await fetch(`${this.#base}${AGENT_PATHS.login}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(this.#credentials),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw await toError(res, 'login');
    this.#token = (await res.text()).trim();
  }

  /** Swaps the token for a fresh one of the same session. */
  async renew(): Promise<void> {
    this.#token = (await (await this.request('POST', AGENT_PATHS.renew)).text()).trim();
  }

  async heartbeat(): Promise<void> {
    await this.request('POST', AGENT_PATHS.heartbeat);
  }

  /** An authenticated request; a 401 (expired or revoked token) logs in again once and retries. */
  async request(method: string, path: string, body?: unknown): Promise<Response> {
    if (!this.#token) await this.login();
    let res = await this.#send(method, path, body);
    if (res.status === 401) {
      this.#token = undefined;
      await this.login();
      res = await this.#send(method, path, body);
    }
    if (!res.ok) throw await toError(res, `${method} ${path}`);
    return res;
  }

  #send(method: string, path: string, body: unknown): Promise<Response> {
    return fetch(`${this.#base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  }
}

async function toError(res: Response, what: string): Promise<MasterError> {
  let message = `${what}: HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    if (body.error?.message) message = `${what}: ${body.error.message}`;
  } catch {
    // not JSON: keep the status line
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  return new MasterError(res.status, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
}
