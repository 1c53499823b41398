/**
 * Encrypts secrets that must be given back in plain text later (password parameter values and
 * defaults, credentials): AES-256-GCM with a key derived from the token signing key (HKDF, one key
 * per `purpose`). Hashing cannot serve here. A `context` (e.g. a credential's id) is authenticated
 * with the value: a sealed value copied to another row does not open there.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'jk1:';

export class SecretBox {
  readonly #key: Buffer;
  /** Names the key without revealing it: which key sealed a stored value (key rotation). */
  readonly keyId: string;
  constructor(signingKey: Buffer, purpose = 'secrets at rest v1') {
    this.#key = Buffer.from(hkdfSync('sha256', signingKey, 'jonkkins', purpose, 32));
    this.keyId = createHmac('sha256', this.#key).update('key id').digest('base64url').slice(0, 16);
  }

  seal(plain: string, context?: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** Throws when the value was sealed with another key or context, or was altered. */
  open(sealed: string, context?: string): string {
    if (!SecretBox.isSealed(sealed)) throw new Error('not a sealed secret');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }
}
