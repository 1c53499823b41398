/**
 * Fault: a master process is killed (SIGKILL) after a build's end committed and before its Slack
 * message went out (Slack was unreachable: the first attempt failed and waits for its retry).
 * The message is in the outbox, in PostgreSQL; the next master process sends it, exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { MasterClient } from '../../worker/src/master-client.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { freePort, spawnJonkkins, stopProcess, until, type JonkkinsProcess } from '../helpers/processes.ts';
import { startSlackReceiver } from '../helpers/slack-receiver.ts';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from '../helpers/test-master.ts';

const TOKEN = 'xoxb-fault-test';
const OutboxState = z.object({ state: z.string(), attempts: z.number(), last_error: z.string().nullable() });

test('a master killed between a build\'s end and its Slack message: the next master sends it once', async (t) => {
  t.timeout(120_000);
  const db = await createTestDatabase();
  const home = await mkdtemp(join(tmpdir(), 'jk-notify-kill-'));
  t.teardown(async () => {
    await db.drop();
    await rm(home, { recursive: true, force: true });
  });
  const port = await freePort();
  const slackPort = await freePort(); // nothing listens there until the first master is dead
  const base = `http://127.0.0.1:${port}`;
  const env = {
    JONKKINS_HOME: home, HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL,
    JONKKINS_REDIS_PREFIX: testRedisPrefix(), JONKKINS_SECRET: randomBytes(32).toString('hex'),
  };
  const masters: JonkkinsProcess[] = [];
  const startMaster = async () => {
    const child = spawnJonkkins(['master'], env);
    masters.push(child);
    t.teardown(() => stopProcess(child));
    await until('the master to be ready', () => /Jonkkins master ready/.test(child.output.stdout), 60_000);
    return child;
  };

  const first = await startMaster();
  const admin = await bootstrapAdmin(base);
  const ok = async (res: Promise<{ status: number; text: string }>) => t.true([200, 201].includes((await res).status));
  await ok(call(base, 'POST', '/api/credentials', { token: admin, json: { id: 'slack-bot', kind: 'secretText', secret: TOKEN } }));
  await ok(call(base, 'PUT', '/api/settings/notifications', { token: admin, json: { slack: { auth: 'botToken', credentialId: 'slack-bot', defaultChannel: '#ci', baseUrl: `http://127.0.0.1:${slackPort}/api/` } } }));
  await ok(call(base, 'POST', '/api/jobs', { token: admin, json: { name: 'survivor', publishers: [{ type: 'slackNotifier', notifySuccess: true }] } }));
  const { body: agentBody } = await call(base, 'POST', '/api/agents', { token: admin, json: { name: 'a1', executors: 1 } });
  const agent = new MasterClient(base, { name: 'a1', secret: agentBody.secret });
  await agent.heartbeat();

  const { body } = await call(base, 'POST', '/api/jobs/survivor/builds', { token: admin, json: {} });
  const spec = await agent.startBuild(body.queueId, 0);
  await agent.finishBuild(body.queueId, { result: 'SUCCESS', logSize: spec.logOffset });
  // The end committed; the message is in the outbox, its first attempt failed (Slack unreachable).
  const row = () => db.pool.one(sql.type(OutboxState)`SELECT state, attempts, last_error FROM outbox WHERE build_id = ${body.queueId}`);
  await until('the first attempt to fail', async () => (await row()).attempts >= 1 && (await row()).last_error !== null, 20_000, 20);
  t.like(await row(), { state: 'pending' });
  const exited = once(first, 'exit');
  first.kill('SIGKILL');
  await exited;

  const slack = await startSlackReceiver({ token: TOKEN, port: slackPort });
  t.teardown(() => slack.close());
  await startMaster();
  await until('the message to arrive', () => slack.taken.length === 1, 30_000, 20);
  await until('the outbox row to be sent', async () => (await row()).state === 'sent', 10_000, 20);
  t.regex(slack.taken[0]!.body.text!, /^survivor - #1 Success after /);
  t.is(slack.all.length, 1, 'sent once');
  t.is(masters.length, 2);
});
