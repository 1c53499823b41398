/** Manage → Credentials (admins) and the credentials a job's configure page offers (anyone). */
import type { CredentialChoice, CredentialInput, CredentialMetadata, CredentialUpdate } from '../../../shared/src/credentials.ts';
import { requestJson, seg } from './http.ts';

export type { CredentialChoice, CredentialInput, CredentialMetadata, CredentialUpdate };

export const listCredentials = async () => (await requestJson<{ credentials: CredentialMetadata[] }>('GET', '/api/credentials')).credentials;
export const createCredential = (input: CredentialInput) => requestJson<CredentialMetadata>('POST', '/api/credentials', { body: input });
/** Secret fields left out keep their stored values (the kind staying the same). */
export const saveCredential = (id: string, input: CredentialUpdate) => requestJson<CredentialMetadata>('PUT', `/api/credentials/${seg(id)}`, { body: input });
export const deleteCredential = (id: string) => requestJson<void>('DELETE', `/api/credentials/${seg(id)}`);
/** The credentials job `job` may use: ids, kinds, descriptions. */
export const credentialChoices = async (job: string) => (await requestJson<{ credentials: CredentialChoice[] }>('GET', `/api/credential-choices?job=${encodeURIComponent(job)}`)).credentials;
