/**
 * Where the notifiers get a credential's secret (a Slack token or webhook URL, an SMTP login),
 * by id, at the moment they send: never stored in the outbox or the settings.
 */
import type { CredentialSecret } from '../../../shared/src/credentials.ts';
import { PermanentFailure } from '../outbox/outbox.ts';

export interface CredentialSecrets {
  /** The secret of credential `id`, or null when there is none. */
  secretOf(id: string): Promise<CredentialSecret | null>;
}

/** The secret of `id`, which must be of `kind`: anything else is a configuration error no retry fixes. */
export async function secretOfKind<K extends CredentialSecret['kind']>(credentials: CredentialSecrets, id: string, kind: K, what: string): Promise<CredentialSecret & { kind: K }> {
  const secret = await credentials.secretOf(id);
  if (!secret) throw new PermanentFailure(`${what}: there is no credential '${id}'`);
  if (secret.kind !== kind) throw new PermanentFailure(`${what}: credential '${id}' is ${secret.kind}, not ${kind}`);
  return secret as CredentialSecret & { kind: K };
}
