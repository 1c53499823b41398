/**
 * Where the notifiers get a credential's secret (a Slack token or webhook URL, an SMTP login),
 * by id, at the moment they send: never stored in the outbox or the settings. The credentials
 * store (credentials/credentials.ts) is it; a use by the master on the admin's system settings
 * (`jobName: null`), which a credential's job restriction does not limit.
 */
import type { CredentialSecret } from '../../../shared/src/credentials.ts';
import { ConflictError } from '../errors.ts';
import { PermanentFailure } from '../outbox/outbox.ts';

export interface CredentialSecrets {
  /** Throws a ConflictError (the store's CredentialRefusedError) when the id is unknown or cannot be opened. */
  secretFor(credentialsId: string, jobName: string | null): Promise<CredentialSecret>;
}

/** The secret of `id`, which must be of `kind`: anything else is a configuration error no retry fixes. */
export async function secretOfKind<K extends CredentialSecret['kind']>(credentials: CredentialSecrets, id: string, kind: K, what: string): Promise<CredentialSecret & { kind: K }> {
  let secret: CredentialSecret;
  try {
    secret = await credentials.secretFor(id, null);
  } catch (err) {
    if (err instanceof ConflictError) throw new PermanentFailure(`${what}: ${err.message}`);
    throw err;
  }
  if (secret.kind !== kind) throw new PermanentFailure(`${what}: credential '${id}' is ${secret.kind}, not ${kind}`);
  return secret as CredentialSecret & { kind: K };
}
