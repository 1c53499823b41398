/**
 * The one place the UI talks HTTP: adds the token, turns error bodies into ApiError, and ends the
 * session on a 401 so the login page comes back. Components call the typed functions beside this
 * file, never fetch.
 */
import type { ApiErrorBody, ApiErrorDetail } from '../../../shared/src/api-error.ts';
import { session } from './session.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ApiErrorDetail[];
  /** How long the server asks to wait before trying again (a 429's Retry-After), else null. */
  readonly retryAfterSeconds: number | null;
  constructor(status: number, code: string, message: string, details: ApiErrorDetail[] = [], retryAfterSeconds: number | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The server's message for one field (dotted path), for showing next to that field. */
  fieldMessage(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.message;
  }
}

export interface RequestOptions {
  /** JSON-encoded unless it is FormData or a Blob. */
  body?: unknown;
  signal?: AbortSignal;
  /** Requests that work without a token (login, first user, setup). */
  anonymous?: boolean;
}

export function authHeaders(): Record<string, string> {
  const token = session.token;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export async function send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = options.anonymous ? {} : authHeaders();
  let body: BodyInit | undefined;
  if (options.body instanceof FormData || options.body instanceof Blob) body = options.body;
  else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(path, { method, headers, body, signal: options.signal });
  if (res.ok) return res;
  let error: ApiErrorBody['error'] = { code: 'internal', message: `${res.status} ${res.statusText}` };
  try {
    error = ((await res.json()) as ApiErrorBody).error ?? error;
  } catch {
    /* not JSON (e.g. a proxy's error page): keep the status line */
  }
  if (res.status === 401 && !options.anonymous) session.end('expired');
  const retryAfter = Number(res.headers.get('Retry-After') ?? NaN);
  throw new ApiError(res.status, error.code, error.message, error.details, Number.isFinite(retryAfter) ? retryAfter : null);
}

export async function requestJson<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const res = await send(method, path, options);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Encodes one path segment (job names may hold spaces and dots). */
export const seg = (s: string | number) => encodeURIComponent(String(s));
