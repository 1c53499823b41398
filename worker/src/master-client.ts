/**
 * The agent's HTTP client for the master: holds the token, logs in again on a 401, and speaks the
 * build calls of PROTOCOL_VERSION (shared/src/agent-protocol.ts), which it states at login. Errors from the master are
 * MasterErrors carrying the status and the parsed body (a 409's LogGap, say); network failures and
 * timeouts stay the errors fetch throws. `isRetryable` tells the two kinds of trouble apart.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import {
  AGENT_PATHS,
  Artifact,
  BuildControl,
  BuildSpec,
  CopyArtifactsSource,
  AwaitedBuilds,
  PROTOCOL_VERSION,
  TriggerAnswer,
  WorkConfig,
  type AgentCredentials,
  type AgentLoginRequest,
  type CopySelector,
  type DockerImageReport,
  type FinishRequest,
  type ProbedLabel,
  type TriggerRequest,
} from '../../shared/src/agent-protocol.ts';
import { AGENT_VERSION } from './agent-version.ts';
import type { CheckoutReport } from '../../shared/src/scm.ts';

export class MasterError extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  /** The response body, parsed as JSON when it was JSON (else undefined). */
  readonly body: unknown;
  constructor(status: number, message: string, retryAfterMs?: number, body?: unknown) {
    super(message);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.body = body;
  }
}

/**
 * Worth trying again later: the master could not be reached, timed out, is overloaded, throttles
 * us, or is restarting (5xx). Anything else is an answer that will not change by asking again.
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof MasterError)) return true;
  return err.status >= 500 || err.status === 408 || err.status === 429;
}

/** `stream` is called for each attempt: a streamed body cannot be sent twice. */
type Payload = { json: unknown } | { parts: readonly Uint8Array[] } | { stream: () => ReadableStream<Uint8Array> } | undefined;

const TIMEOUT_MS = 10_000;
/** #request's `small`: a JSON answer, read whole (see sendWithNodeHttp). */
const SMALL_ANSWER = true;
/** A log batch is up to LOG_BATCH_BYTES (4 MiB): give a slow link more time than the small calls get. */
const LOG_TIMEOUT_MS = 30_000;

export class MasterClient {
  readonly #base: string;
  readonly #credentials: AgentCredentials;
  #token: string | undefined;
  /** This process's session: logging in again (after a 401) continues it; a restarted agent has a new one. */
  readonly #session = randomUUID();
  /** One login at a time: concurrent 401s (heartbeat and several builds) share it. */
  #loggingIn: Promise<void> | undefined;

  /** PROTOCOL_VERSION, unless a test plays an agent of another version. */
  readonly #protocolVersion: number;

  /** The labels the agent probed for itself (agent.ts), stated at every login. */
  readonly #probedLabels: Promise<readonly ProbedLabel[]>;

  constructor(baseUrl: string, credentials: AgentCredentials, protocolVersion = PROTOCOL_VERSION, probedLabels: Promise<readonly ProbedLabel[]> = Promise.resolve([])) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#credentials = credentials;
    this.#protocolVersion = protocolVersion;
    this.#probedLabels = probedLabels;
  }

  get loggedIn(): boolean {
    return this.#token !== undefined;
  }

  login(): Promise<void> {
    this.#loggingIn ??= this.#login().finally(() => {
      this.#loggingIn = undefined;
    });
    return this.#loggingIn;
  }

  async #login(): Promise<void> {
    const probedLabels = [...(await this.#probedLabels)];
    const login: AgentLoginRequest = { ...this.#credentials, protocolVersion: this.#protocolVersion, agentVersion: AGENT_VERSION, session: this.#session, ...(probedLabels.length ? { probedLabels } : {}) };
    const res = await fetch(`${this.#base}${AGENT_PATHS.login}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(login),
      signal: AbortSignal.timeout(TIMEOUT_MS),
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

  async workConfig(): Promise<WorkConfig> {
    const res = await this.request('GET', AGENT_PATHS.workConfig);
    return WorkConfig.parse(await res.json());
  }

  /** 200 → the build is ours to run; a 409 (cancelled, taken, not yet due) throws a MasterError. */
  async startBuild(buildId: number, executor: number): Promise<BuildSpec> {
    const res = await this.request('POST', AGENT_PATHS.start(buildId), { executor });
    return BuildSpec.parse(await res.json());
  }

  /** Raw console bytes at `offset`, given as parts; a gap throws a MasterError(409) whose body is a LogGap. */
  async sendLog(buildId: number, offset: number, parts: readonly Uint8Array[]): Promise<BuildControl> {
    const res = await this.#request('POST', AGENT_PATHS.log(buildId, offset), { parts }, LOG_TIMEOUT_MS, undefined, SMALL_ANSWER);
    return BuildControl.parse(await res.json());
  }

  /** A file parameter's bytes, as a streaming response (the caller consumes the body). */
  async fetchFile(buildId: number, parameter: string): Promise<Response> {
    // The timeout covers reading the whole body too: allow an hour for a large file.
    return this.#request('GET', AGENT_PATHS.file(buildId, parameter), undefined, 60 * 60_000);
  }

  /** One of the job's files, as a streaming response. */
  async fetchJobFile(buildId: number, path: string): Promise<Response> {
    return this.#request('GET', AGENT_PATHS.jobFile(buildId, path), undefined, 60 * 60_000);
  }

  /** Stores one artifact file of the build (streamed; an hour at most); answers what the master stored. */
  async uploadArtifact(buildId: number, path: string, body: () => ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<Artifact> {
    const res = await this.#request('PUT', AGENT_PATHS.artifact(buildId, path), { stream: body }, 60 * 60_000, signal);
    return Artifact.parse(await res.json());
  }

  /** copyArtifacts: which build of `project` and its artifacts. */
  async copyArtifactsSource(buildId: number, project: string, selector: CopySelector, signal?: AbortSignal): Promise<CopyArtifactsSource> {
    const res = await this.#request('GET', AGENT_PATHS.copyArtifacts(buildId, project, selector), undefined, TIMEOUT_MS, signal);
    return CopyArtifactsSource.parse(await res.json());
  }

  /** copyArtifacts: one artifact of another build, as a streaming response. */
  async fetchCopyArtifact(buildId: number, project: string, number: number, path: string, signal?: AbortSignal): Promise<Response> {
    return this.#request('GET', AGENT_PATHS.copyArtifact(buildId, project, number, path), undefined, 60 * 60_000, signal);
  }

  /** A trigger step: queue its downstream builds. */
  async triggerBuilds(buildId: number, req: TriggerRequest, signal?: AbortSignal): Promise<TriggerAnswer> {
    const res = await this.#request('POST', AGENT_PATHS.trigger(buildId), { json: req }, TIMEOUT_MS, signal, SMALL_ANSWER);
    return TriggerAnswer.parse(await res.json());
  }

  /** Where the builds a blocking trigger step waits for are. */
  async awaitedBuilds(buildId: number, queueIds: number[], signal?: AbortSignal): Promise<AwaitedBuilds> {
    const res = await this.#request('GET', AGENT_PATHS.awaited(buildId, queueIds), undefined, TIMEOUT_MS, signal, SMALL_ANSWER);
    return AwaitedBuilds.parse(await res.json());
  }

  /** The checkout's commit, branch and change set. */
  async reportCheckout(buildId: number, report: CheckoutReport, signal?: AbortSignal): Promise<void> {
    const res = await this.#request('POST', AGENT_PATHS.checkout(buildId), { json: report }, TIMEOUT_MS, signal, SMALL_ANSWER);
    await res.body?.cancel();
  }

  /** A dockerBuild step pushed an image: recorded on the build. */
  async reportDockerImage(buildId: number, report: DockerImageReport, signal?: AbortSignal): Promise<void> {
    const res = await this.#request('POST', AGENT_PATHS.dockerImage(buildId), { json: report }, TIMEOUT_MS, signal, SMALL_ANSWER);
    await res.body?.cancel();
  }

  async ping(buildId: number): Promise<BuildControl> {
    const res = await this.request('POST', AGENT_PATHS.ping(buildId));
    return BuildControl.parse(await res.json());
  }

  async finishBuild(buildId: number, finish: FinishRequest): Promise<void> {
    const res = await this.request('POST', AGENT_PATHS.finish(buildId), finish);
    await res.body?.cancel();
  }

  /** An authenticated JSON request; a 401 (expired or revoked token) logs in again once and retries. */
  request(method: string, path: string, body?: unknown): Promise<Response> {
    return this.#request(method, path, body === undefined ? undefined : { json: body }, TIMEOUT_MS, undefined, SMALL_ANSWER);
  }

  /** `small`: the answer is a small JSON document, read whole before it is returned. */
  async #request(method: string, path: string, payload: Payload, timeoutMs: number, signal?: AbortSignal, small = false): Promise<Response> {
    if (!this.#token) await this.login();
    const used = this.#token;
    let res = await this.#send(method, path, payload, timeoutMs, signal, small);
    if (res.status === 401) {
      await res.body?.cancel();
      // Another call may have logged in already while this one was on its way.
      if (this.#token === used) {
        this.#token = undefined;
        await this.login();
      } else if (!this.#token) {
        await this.login();
      }
      res = await this.#send(method, path, payload, timeoutMs, signal, small);
    }
    if (!res.ok) throw await toError(res, `${method} ${path}`);
    return res;
  }

  #send(method: string, path: string, payload: Payload, timeoutMs: number, signal: AbortSignal | undefined, small: boolean): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    const timeout = AbortSignal.timeout(timeoutMs);
    const abort = signal ? AbortSignal.any([timeout, signal]) : timeout;
    if (payload && 'parts' in payload) {
      headers['content-type'] = 'application/octet-stream';
      return sendWithNodeHttp(method, `${this.#base}${path}`, headers, payload.parts, abort, small);
    }
    if (small && !(payload && 'stream' in payload)) {
      // The calls every build makes (start, finish, pings): node:http costs a fraction of fetch's CPU.
      if (payload) headers['content-type'] = 'application/json';
      return sendWithNodeHttp(method, `${this.#base}${path}`, headers, payload ? [Buffer.from(JSON.stringify(payload.json))] : [], abort, true);
    }
    let body: string | ReadableStream<Uint8Array> | undefined;
    if (payload && 'json' in payload) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(payload.json);
    } else if (payload && 'stream' in payload) {
      headers['content-type'] = 'application/octet-stream';
      body = payload.stream();
    }
    return fetch(`${this.#base}${path}`, {
      method,
      headers,
      body: body as BodyInit | undefined,
      duplex: 'half', // a streamed body (ignored for the others)
      signal: abort,
    } as RequestInit);
  }
}

/**
 * A request whose body is `parts`, written as they are with node:http — fetch copies a byte body
 * twice on its way out (undici), and console bytes are most of what an agent sends; fetch's
 * machinery also costs several times the CPU of a plain request — answered as a fetch Response
 * so callers need not care. `buffered`: the answer is read whole first (a small JSON document)
 * instead of streamed.
 */
function sendWithNodeHttp(method: string, url: string, headers: Record<string, string>, parts: readonly Uint8Array[], signal: AbortSignal, buffered: boolean): Promise<Response> {
  const length = parts.reduce((n, p) => n + p.byteLength, 0);
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers: { ...headers, 'content-length': String(length) }, signal }, (res) => {
      const status = res.statusCode ?? 502;
      const answer = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) answer.append(name, v);
      }
      if (NULL_BODY_STATUS.has(status)) {
        res.resume();
        resolve(new Response(null, { status, headers: answer }));
      } else if (buffered) {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => resolve(new Response(Buffer.concat(chunks), { status, headers: answer })));
      } else {
        resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array> as BodyInit, { status, headers: answer }));
      }
    });
    req.once('error', reject);
    req.cork(); // one write of all parts (end() uncorks)
    for (const p of parts) req.write(p);
    req.end();
  });
}
const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

async function toError(res: Response, what: string): Promise<MasterError> {
  let message = `${what}: HTTP ${res.status}`;
  let body: unknown;
  try {
    body = await res.json();
    const text = (body as { error?: { message?: unknown } } | null)?.error?.message;
    if (typeof text === 'string' && text) message = `${what}: ${text}`;
  } catch {
    // not JSON: keep the status line
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  return new MasterError(res.status, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined, body);
}
