/** Hashing of passwords and agent secrets: argon2id (PHC strings), never the plain value at rest. */
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// argon2id, m = 19 MiB, t = 2, p = 1: OWASP's baseline, about 30 ms here.
const OPTIONS = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(plain: string): Promise<string> {
  return hash(plain, OPTIONS);
}

export async function verifySecret(phc: string, plain: string): Promise<boolean> {
  try {
    return await verify(phc, plain);
  } catch {
    return false;
  }
}

// Verifying against this when the account does not exist makes "no such user" cost as much
// as "wrong password", so response times do not reveal which usernames exist.
let decoy: Promise<string> | undefined;
export async function verifyAgainstDecoy(plain: string): Promise<false> {
  decoy ??= hashSecret(randomBytes(16).toString('hex'));
  await verifySecret(await decoy, plain);
  return false;
}

/** A new agent secret: 32 random bytes, base64url (43 characters). */
export function newAgentSecret(): string {
  return randomBytes(32).toString('base64url');
}
