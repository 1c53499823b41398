/**
 * A webhook's body, read raw (the forges sign the exact bytes) and bounded: at most
 * WEBHOOK_MAX_BYTES (413 beyond), JSON at most MAX_DEPTH deep (400 beyond). GitHub may also send
 * `application/x-www-form-urlencoded` with the JSON in `payload`.
 */
import type { Context } from 'koa';
import { ValidationError, DomainError } from '../errors.ts';

/** GitHub caps its own payloads at 25 MB; a push of a few thousand commits is well under this. */
export const WEBHOOK_MAX_BYTES = 5 * 1024 * 1024;
const MAX_DEPTH = 64;

export class PayloadTooLargeError extends DomainError {
  constructor() {
    super(413, 'payload_too_large', `The payload is larger than ${WEBHOOK_MAX_BYTES} bytes`);
  }
}

export async function readRawBody(ctx: Context, max = WEBHOOK_MAX_BYTES): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > max) throw new PayloadTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new PayloadTooLargeError();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** The payload as JSON (an empty body is {}), its depth checked before anything reads it. */
export function parsePayload(raw: Buffer, contentType: string): unknown {
  let text = raw.toString('utf8');
  if (/application\/x-www-form-urlencoded/i.test(contentType)) text = new URLSearchParams(text).get('payload') ?? '';
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('The payload is not JSON');
  }
  if (depthOf(value) > MAX_DEPTH) throw new ValidationError(`The payload is nested more than ${MAX_DEPTH} levels deep`);
  return value;
}

function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d);
    if (max > MAX_DEPTH) return max;
    for (const item of Object.values(v)) stack.push([item, d + 1]);
  }
  return max;
}
