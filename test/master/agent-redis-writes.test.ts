/**
 * The master writes an agent's Redis user (ACL SETUSER) only when its rules must change: not on
 * every work-config read (agents read it every 5 s), again when the agent's queues change, and again
 * after Redis came back from a restart that lost its users. On a private redis-server, whose
 * command statistics count this master's calls alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Redis } from 'ioredis';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../master/src/embedded/redis.ts';
import { createLogger } from '../../master/src/log.ts';
import { WorkConfig } from '../../shared/src/agent-protocol.ts';
import { bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster } from '../helpers/test-master.ts';

test('repeated work-config reads write the agent’s Redis user once; changed queues and a restarted Redis write it again', async (t) => {
  t.timeout(60_000);
  const home = await mkdtemp(join(tmpdir(), 'jk-acl-writes-'));
  const log = createLogger('silent');
  let redis: EmbeddedRedis = await startEmbeddedRedis({ home, log });
  const m = await startTestMaster({ agentRedisUrl: redis.agentUrl }, { redisUrl: redis.url });
  t.teardown(async () => {
    await m.close();
    await redis.stop();
    await rm(home, { recursive: true, force: true });
  });
  const admin = await bootstrapAdmin(m.url);
  const agent = await registeredAgentToken(m.url, admin, { name: 'a1', executors: 1, labels: ['linux'] });
  const read = async () => {
    const res = await call(m.url, 'GET', '/api/agent/work-config', { token: agent });
    if (res.status !== 200) throw new Error(`work-config: ${res.status} ${res.text}`);
    return WorkConfig.parse(res.body);
  };
  const setUsers = async () => {
    const stats = await m.redis.info('commandstats');
    return Number(/cmdstat_acl\|setuser:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  };
  const canConnect = async (url: string) => {
    const c = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true, enableReadyCheck: false });
    c.on('error', () => {});
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  };

  const first = await read();
  for (let i = 0; i < 5; i++) t.deepEqual(await read(), first);
  t.is(await setUsers(), 1, 'six reads, one write');
  t.true(await canConnect(first.redis.url));

  // A job on a label the agent matches: one more queue, so new rules — once.
  t.is((await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'on-linux', label: 'linux' } })).status, 201);
  const more = await read();
  t.true(more.queues.length > first.queues.length);
  await read();
  t.is(await setUsers(), 2);

  // Redis restarts without the users (they are not in its append-only file): the agent is refused,
  // reads its work config again, and that read writes the user anew.
  await redis.stop();
  redis = await startEmbeddedRedis({ home, log });
  t.false(await canConnect(more.redis.url), 'the restarted Redis does not know the user');
  await until('the master to be connected again', async () => m.redis.status === 'ready', 20_000, 20);
  const again = await read();
  t.is(again.redis.url, more.redis.url, 'the same user and password');
  t.true(await canConnect(again.redis.url));
  t.is(await setUsers(), 1, 'written once since the restart (its statistics start afresh)');
});
