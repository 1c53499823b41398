/**
 * The benchmark's view of a master: its REST API as a person uses it (token from /login, logged in
 * again on a 401) and its live events (/api/events), which timestamp each build's start and finish
 * on arrival, so no polling skews the figures.
 */

const TIMEOUT_MS = 30_000;

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class Api {
  readonly base: string;
  #token: string | undefined;
  #credentials: { username: string; password: string } | undefined;

  constructor(base: string) {
    this.base = base.replace(/\/+$/, '');
  }

  get token(): string {
    if (!this.#token) throw new Error('not logged in');
    return this.#token;
  }

  async login(username: string, password: string): Promise<void> {
    this.#credentials = { username, password };
    const res = await fetch(`${this.base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new HttpError(res.status, `POST /login: ${res.status} ${await res.text()}`);
    this.#token = (await res.text()).trim();
  }

  /** A request with the token; a 401 logs in again once. The caller reads or cancels the body. */
  async request(method: string, path: string, body?: unknown, timeoutMs = TIMEOUT_MS): Promise<Response> {
    const send = () =>
      fetch(`${this.base}${path}`, {
        method,
        headers: {
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    let res = await send();
    if (res.status === 401 && this.#credentials) {
      await res.body?.cancel();
      await this.login(this.#credentials.username, this.#credentials.password);
      res = await send();
    }
    return res;
  }

  async json<T = any>(method: string, path: string, body?: unknown, timeoutMs = TIMEOUT_MS): Promise<T> {
    const res = await this.request(method, path, body, timeoutMs);
    const text = await res.text();
    if (!res.ok) throw new HttpError(res.status, `${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Triggers a build; resolves with its queue id. */
  async trigger(job: string): Promise<number> {
    const r = await this.json<{ queueId: number }>('POST', `/api/jobs/${encodeURIComponent(job)}/builds`, { parameters: {} });
    return r.queueId;
  }
}

/** What the event stream saw of one build (times are performance.now() on arrival). */
export interface BuildSeen {
  started?: number;
  finished?: number;
  number?: number;
  result?: string;
  agent?: string;
}

/** GET /api/events, parsed as it arrives. */
export class EventStream {
  readonly builds = new Map<number, BuildSeen>();
  readonly counts = new Map<string, number>();
  readonly #waiters = new Set<() => void>();
  readonly #controller: AbortController;
  readonly #done: Promise<void>;
  #error: Error | undefined;

  private constructor(controller: AbortController, body: ReadableStream<Uint8Array>) {
    this.#controller = controller;
    this.#done = this.#read(body);
  }

  /** Resolves once the master has subscribed this stream (its response headers arrived). */
  static async open(api: Api): Promise<EventStream> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    const res = await fetch(`${api.base}/api/events`, { headers: { authorization: `Bearer ${api.token}` }, signal: controller.signal });
    clearTimeout(timer);
    if (res.status !== 200 || !res.body) throw new HttpError(res.status, `GET /api/events: ${res.status} ${await res.text()}`);
    return new EventStream(controller, res.body);
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        const at = performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let type = '';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (type) this.#onEvent(type, data ? JSON.parse(data) : undefined, at);
        }
      }
      this.#error = new Error('the master closed /api/events');
    } catch (err) {
      this.#error = err as Error;
    }
    this.#notify();
  }

  #onEvent(type: string, data: any, at: number): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    if (type !== 'build.started' && type !== 'build.finished') return;
    const id = Number(data.queueId);
    const seen = this.builds.get(id) ?? {};
    if (type === 'build.started') Object.assign(seen, { started: at, number: data.number, agent: data.agent });
    else Object.assign(seen, { finished: at, number: data.number, result: data.result });
    this.builds.set(id, seen);
    this.#notify();
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves with what was seen of the build once `done(seen)` holds; rejects after timeoutMs. */
  waitFor(queueId: number, done: (seen: BuildSeen) => boolean, timeoutMs: number, what = 'build'): Promise<BuildSeen> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const seen = this.builds.get(queueId);
        if (seen && done(seen)) finish(() => resolve(seen));
        else if (this.#error) finish(() => reject(new Error(`event stream ended while waiting for ${what} ${queueId}: ${this.#error!.message}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (queue item ${queueId})`))), timeoutMs);
      const finish = (then: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        then();
      };
      this.#waiters.add(check);
      check();
    });
  }

  finished(queueId: number, timeoutMs: number): Promise<BuildSeen> {
    return this.waitFor(queueId, (s) => s.finished !== undefined, timeoutMs, 'build.finished of');
  }

  async close(): Promise<void> {
    this.#controller.abort();
    await this.#done;
  }
}
