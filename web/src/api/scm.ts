/** Source control: a job's Recent Changes, and the credentials a job's repository may use. */
import type { CredentialMetadata } from '../../../shared/src/credentials.ts';
import { requestJson, seg } from './http.ts';
import type { RecentChanges } from './types.ts';

export const recentChanges = (job: string, limit = 20) => requestJson<RecentChanges>('GET', `/api/jobs/${seg(job)}/changes?limit=${limit}`);

/** The credentials' metadata (admins only: the list is Manage Jonkkins → Credentials'). */
export async function listCredentials(): Promise<CredentialMetadata[]> {
  return (await requestJson<{ credentials: CredentialMetadata[] }>('GET', '/api/credentials')).credentials;
}
