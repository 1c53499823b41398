/**
 * Posting to Slack: `chat.postMessage` with a bot token (Authorization: Bearer, a JSON body; the
 * answer's `ok`, `channel` and `ts`), or an incoming webhook (a JSON body to the webhook's URL; the
 * answer is the text `ok`). Slack's answers become the outbox's outcomes: 429 → RetryLater after
 * Retry-After; an `ok: false` error that no retry fixes (a bad token, an unknown channel) →
 * PermanentFailure; 5xx, `ratelimited` and network errors → tried again with backoff.
 */
import { PermanentFailure, RetryLater } from '../outbox/outbox.ts';
import type { SlackMessage } from './slack-message.ts';

/** One call's deadline: Slack answers in well under a second; a hung server must not hold the sender. */
const CALL_TIMEOUT_MS = 15_000;
/** Slack's answers are small; more than this is not Slack. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Errors `ok: false` carries that a retry may fix (Slack's "errors" tables). */
const TRANSIENT = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export interface PostedMessage {
  channel: string;
  ts: string;
}

export async function postWithToken(baseUrl: string, token: string, body: { channel: string; thread_ts?: string } & SlackMessage): Promise<PostedMessage> {
  const { color: _color, ...message } = body;
  const res = await call(`${baseUrl}chat.postMessage`, { authorization: `Bearer ${token}` }, message);
  let answer: { ok?: unknown; error?: unknown; channel?: unknown; ts?: unknown };
  try {
    answer = JSON.parse(res.text);
  } catch {
    throw new Error(`chat.postMessage answered ${res.status} with something other than JSON`);
  }
  if (answer.ok !== true) {
    const error = typeof answer.error === 'string' ? answer.error : 'unknown_error';
    if (TRANSIENT.has(error)) throw new Error(`chat.postMessage: ${error}`);
    throw new PermanentFailure(`chat.postMessage: ${error}`);
  }
  if (typeof answer.channel !== 'string' || typeof answer.ts !== 'string') throw new PermanentFailure('chat.postMessage answered ok without channel and ts');
  return { channel: answer.channel, ts: answer.ts };
}

export async function postToWebhook(url: string, message: SlackMessage): Promise<void> {
  if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) throw new PermanentFailure('the Slack webhook credential does not hold an http(s) URL');
  const { color: _color, ...body } = message;
  await call(url, {}, body);
}

async function call(url: string, headers: Record<string, string>, body: object): Promise<{ status: number; text: string }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`Slack unreachable: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  const text = await boundedText(res);
  if (res.status === 429) throw new RetryLater('Slack answered 429 (rate limited)', retryAfterMs(res.headers.get('retry-after')));
  if (res.status >= 500) throw new Error(`Slack answered ${res.status}`);
  if (res.status >= 400) throw new PermanentFailure(`Slack answered ${res.status}: ${text.slice(0, 200)}`);
  return { status: res.status, text };
}

/** Retry-After in seconds (Slack sends seconds); absent or odd: one second. */
export function retryAfterMs(header: string | null): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 3600) * 1000 : 1000;
}

async function boundedText(res: Response): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`Slack's answer is over ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}
