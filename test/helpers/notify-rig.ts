/**
 * What the notification tests share: a master, its admin, an HTTP-only agent that runs a build to
 * the result a test names, and credentials made through the credentials API.
 */
import type { ExecutionContext } from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import type { MasterClient } from '../../worker/src/master-client.ts';
import { consoleAgent } from './console-builds.ts';
import { bootstrapAdmin, call } from './http.ts';
import { until } from './processes.ts';
import { startTestMaster, type TestMaster } from './test-master.ts';

export interface NotifyRig {
  m: TestMaster;
  admin: string;
  agent: MasterClient;
  /** A secretText or usernamePassword credential. */
  credential(input: Record<string, unknown>): Promise<void>;
  settings(value: Record<string, unknown>): Promise<void>;
  /** A job with these publishers and the git scm GIT_URL (the agent reports its checkouts). */
  job(name: string, publishers: Record<string, unknown>[]): Promise<void>;
  /**
   * Triggers `job`, starts it on the agent, reports a checkout bringing `changes` (newest first)
   * when there are any, sends `log` as the steps' output, and finishes it with `result`; answers the build's id and number.
   */
  run(job: string, result: string, changes?: Commit[], log?: string): Promise<{ id: number; number: number }>;
  consoleOf(job: string, number: number): Promise<string>;
  /** Waits until the outbox has nothing left to send (read only). */
  outboxSettled(): Promise<void>;
}

export const GIT_URL = 'https://git.example.org/app.git';

export interface Commit {
  authorName: string;
  authorEmail: string;
  message: string;
  paths: string[];
}

let commits = 0;
const sha = () => (++commits).toString(16).padStart(40, '0');

const PENDING = sql.type(z.object({ id: z.coerce.number() }))`SELECT id FROM outbox WHERE state = 'pending'`;

export async function startNotifyRig(t: ExecutionContext): Promise<NotifyRig> {
  const m = await startTestMaster({ outbox: { firstBackoffMs: 50, maxBackoffMs: 200, maxAttempts: 3 } });
  t.teardown(() => m.close());
  const admin = await bootstrapAdmin(m.url);
  const agent = await consoleAgent(m, admin, 'notifier-agent');
  const ok = async (what: string, res: Promise<{ status: number; text: string }>, status = 200) => {
    const r = await res;
    if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.text}`);
  };
  return {
    m,
    admin,
    agent,
    credential: (input) => ok('credential', call(m.url, 'POST', '/api/credentials', { token: admin, json: input }), 201),
    settings: (value) => ok('settings', call(m.url, 'PUT', '/api/settings/notifications', { token: admin, json: value })),
    job: (name, publishers) => ok('job', call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, publishers, scm: { type: 'git', url: GIT_URL } } }), 201),
    async run(job, result, changes = [], log = '') {
      const { body } = await call(m.url, 'POST', `/api/jobs/${encodeURIComponent(job)}/builds`, { token: admin, json: {} });
      const spec = await agent.startBuild(body.queueId, 0);
      if (changes.length > 0) {
        const items = changes.map((c) => ({ commitId: sha(), timestamp: Date.now(), ...c, paths: c.paths.map((file) => ({ editType: 'edit' as const, file })), morePaths: 0 }));
        await agent.reportCheckout(body.queueId, { commit: sha(), branch: 'origin/main', url: GIT_URL, changes: items, moreChanges: 0 });
      }
      const bytes = Buffer.from(log, 'utf8');
      if (bytes.length > 0) await agent.sendLog(body.queueId, spec.logOffset, [bytes]);
      await agent.finishBuild(body.queueId, { result: result as 'SUCCESS', logSize: spec.logOffset + bytes.length });
      return { id: body.queueId, number: spec.number };
    },
    async consoleOf(job, number) {
      return (await call(m.url, 'GET', `/api/jobs/${encodeURIComponent(job)}/builds/${number}/log`, { token: admin })).text;
    },
    outboxSettled: () => until('the outbox to be empty', async () => (await m.pool.anyFirst(PENDING)).length === 0, 15_000, 20),
  };
}
