/** Webhook signatures and tokens, compared in constant time (digests of equal length, timingSafeEqual). */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Equal strings, in time independent of where they differ (and of their lengths). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Hex HMAC-SHA256 of the raw body: Gitea's X-Gitea-Signature; GitHub's X-Hub-Signature-256 is `sha256=` + this. */
export function hmacSha256Hex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}
