/** The build queue and the agents' executors. */
import { requestJson, seg } from './http.ts';
import type { AgentWithExecutors, QueueItem } from './types.ts';

export const listQueue = async () => (await requestJson<{ items: QueueItem[] }>('GET', '/api/queue')).items;
export const cancelQueueItem = (id: number) => requestJson<void>('DELETE', `/api/queue/${seg(id)}`);
export const listAgents = async () => (await requestJson<{ agents: AgentWithExecutors[] }>('GET', '/api/agents')).agents;
