/**
 * A local stand-in for Slack that checks what Slack documents: `POST /api/chat.postMessage` with
 * `Authorization: Bearer <token>` and a JSON body (channel, text, blocks, thread_ts) answering
 * `{ok, channel, ts}` or `{ok: false, error}`; incoming webhooks (`POST /services/…`, a JSON body
 * with text) answering `ok`. A test can make the next answers 429 with a Retry-After.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackPost {
  kind: 'api' | 'webhook';
  at: number;
  auth: string | undefined;
  contentType: string | undefined;
  body: { channel?: string; text?: string; blocks?: { type: string; text?: { type: string; text: string } }[]; thread_ts?: string };
  /** What the receiver answered: 200 (taken), 429 or an error. */
  answered: number | string;
}

export interface SlackReceiver {
  url: string;
  /** Posts Slack took (answered ok), in order. */
  readonly taken: SlackPost[];
  /** Every post, including refused ones. */
  readonly all: SlackPost[];
  /** The next `count` posts are answered 429 with this Retry-After (seconds). */
  throttleNext(count: number, retryAfterSeconds: number): void;
  /** Every chat.postMessage is answered `{ok: false, error}` from now on (null: normal again). */
  refuseWith(error: string | null): void;
  close(): Promise<void>;
}

/** A channel id as Slack answers for a channel name. */
export const CHANNEL_ID = 'C0JONKKINS';

/** `port`: a given one (a test that points Jonkkins at it before it listens); default any free one. */
export async function startSlackReceiver(opts: { token: string; webhookPath?: string; port?: number }): Promise<SlackReceiver> {
  const taken: SlackPost[] = [];
  const all: SlackPost[] = [];
  let throttle = { count: 0, seconds: 0 };
  let refusal: string | null = null;
  let seq = 0;
  const server = createServer(async (req, res) => {
    const raw = await bodyOf(req);
    let body: SlackPost['body'] = {};
    try {
      body = JSON.parse(raw);
    } catch {
      res.writeHead(400).end('invalid_payload');
      return;
    }
    const post: SlackPost = { kind: req.url === '/api/chat.postMessage' ? 'api' : 'webhook', at: Date.now(), auth: req.headers.authorization, contentType: req.headers['content-type'], body, answered: 200 };
    all.push(post);
    const json = (status: number, answer: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    if (req.method !== 'POST') return void res.writeHead(405).end();
    if (throttle.count > 0) {
      throttle.count--;
      post.answered = 429;
      return void res.writeHead(429, { 'retry-after': String(throttle.seconds), 'content-type': 'application/json' }).end('{"ok":false,"error":"ratelimited"}');
    }
    if (post.kind === 'webhook') {
      if (req.url !== (opts.webhookPath ?? '/services/T000/B000/XXXX')) return void res.writeHead(404).end('no_service');
      if (!post.contentType?.startsWith('application/json') || typeof body.text !== 'string') return void res.writeHead(400).end('invalid_payload');
      taken.push(post);
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('ok');
    }
    // chat.postMessage: a token in the Authorization header, a JSON body (Slack's "Using JSON").
    if (post.auth !== `Bearer ${opts.token}`) return json(200, { ok: false, error: (post.answered = 'invalid_auth') });
    if (!post.contentType?.startsWith('application/json')) return json(200, { ok: false, error: (post.answered = 'invalid_form_data') });
    if (!body.channel) return json(200, { ok: false, error: (post.answered = 'channel_not_found') });
    if (typeof body.text !== 'string' && !body.blocks) return json(200, { ok: false, error: (post.answered = 'no_text') });
    if (refusal) return json(200, { ok: false, error: (post.answered = refusal) });
    taken.push(post);
    const channel = body.channel.startsWith('#') ? CHANNEL_ID : body.channel;
    json(200, { ok: true, channel, ts: `1767225600.${String(++seq).padStart(6, '0')}`, message: { text: body.text } });
  });
  server.listen(opts.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    taken,
    all,
    throttleNext: (count, seconds) => void (throttle = { count, seconds }),
    refuseWith: (error) => void (refusal = error),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
