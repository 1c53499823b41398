/** Source control: a job's Recent Changes. */
import { requestJson, seg } from './http.ts';
import type { RecentChanges } from './types.ts';

export const recentChanges = (job: string, limit = 20) => requestJson<RecentChanges>('GET', `/api/jobs/${seg(job)}/changes?limit=${limit}`);
