/**
 * What a console must mask for a credential a build binds: every secret field, and each line of
 * a multi-line one on its own (a step may print a key or a file line by line, or prefix its
 * lines). The user name is not secret (Jenkins shows it). Lines shorter than MIN_MASKED_LINE are
 * masked only as part of the whole value: on their own they would mask ordinary output ("}", "--").
 */
import type { CredentialSecret } from './credentials.ts';

export const MIN_MASKED_LINE = 4;

/** The secret values of a credential, in plain text (a secretFile's content decoded, when it is text). */
export function secretValues(secret: CredentialSecret): string[] {
  switch (secret.kind) {
    case 'secretText':
      return [secret.secret];
    case 'usernamePassword':
      return [secret.password];
    case 'sshPrivateKey':
      return [secret.privateKey, secret.passphrase ?? ''];
    case 'secretFile': {
      const bytes = Buffer.from(secret.content, 'base64');
      const text = bytes.toString('utf8');
      // Binary content cannot be masked as text; its base64 form is still masked.
      return Buffer.from(text, 'utf8').equals(bytes) ? [text, secret.content] : [secret.content];
    }
  }
}

/** The masks for one credential: each secret value, and each of its lines long enough to mask alone. */
export function credentialMasks(secret: CredentialSecret): string[] {
  const masks = new Set<string>();
  for (const value of secretValues(secret)) {
    if (value.length === 0) continue;
    masks.add(value);
    const trimmed = value.replace(/\r?\n$/, '');
    if (trimmed.length > 0) masks.add(trimmed);
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_MASKED_LINE) masks.add(line);
  }
  return [...masks];
}
