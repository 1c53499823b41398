/** Console tests speak for an agent with MasterClient (bytes as they are) on builds they start themselves. */
import { MasterClient } from '../../worker/src/master-client.ts';
import { call } from './http.ts';
import type { TestMaster } from './test-master.ts';

/** A registered agent, logged in, as the worker's own client. */
export async function consoleAgent(m: TestMaster, admin: string, name: string): Promise<MasterClient> {
  const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: 4 } });
  const agent = new MasterClient(m.url, { name, secret: body.secret });
  await agent.heartbeat();
  return agent;
}

/** A running build #1 of a new job `name`, on `executor`: its id and where its console ends. */
export async function runningBuild(m: TestMaster, admin: string, agent: MasterClient, name: string, executor: number): Promise<{ id: number; offset: number }> {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, steps: [{ type: 'shell', script: 'true' }] } });
  const { body } = await call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: {} });
  const spec = await agent.startBuild(body.queueId, executor);
  return { id: body.queueId, offset: spec.logOffset };
}
