/**
 * The agent's Redis connection of one work config and every connection made from it (BullMQ's
 * blocking reads and event listeners) end together, even when Redis refuses the agent's user (a
 * new secret or a deleted agent deleted it): none is left reconnecting, refused, to keep the agent
 * process alive (issue 11). Against the real Redis, with an ACL user of the test's own.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { Redis } from 'ioredis';
import { ExecutorPool } from '../../worker/src/executor-pool.ts';
import { RedisFamily } from '../../worker/src/redis-family.ts';
import { until } from '../helpers/processes.ts';
import { TEST_REDIS_URL } from '../helpers/test-master.ts';

test('a work config’s connections all end when it closes, those whose Redis user was deleted included', async (t) => {
  const admin = new Redis(TEST_REDIS_URL);
  const user = `jk-test-family-${randomUUID()}`;
  const prefix = `jk-test:${randomUUID()}`;
  t.teardown(async () => {
    await admin.call('ACL', 'DELUSER', user);
    admin.disconnect();
  });
  await admin.call('ACL', 'SETUSER', user, 'on', '>family-pass', `~${prefix}:*`, `&${prefix}:*`, '+@all', '-@admin');
  const url = new URL(TEST_REDIS_URL);
  url.username = user;
  url.password = 'family-pass';
  const family = new RedisFamily(url.toString(), { maxRetriesPerRequest: null, enableReadyCheck: false });
  const refusals: string[] = [];
  family.on('error', (err: Error) => refusals.push(err.message));
  const pool = new ExecutorPool({ connection: family, prefix, executors: 1, work: async () => 'done', warn: () => {} });
  pool.setQueues(['q']);
  await pool.ready();
  t.true(family.copies >= 2, `BullMQ made its connections from the agent's (${family.copies})`);

  await admin.call('ACL', 'DELUSER', user); // Redis drops the user's connections; each reconnect is refused
  await until('a refused reconnect', () => refusals.some((m) => /WRONGPASS|NOAUTH/.test(m)), 10_000, 20);
  await pool.stop();
  family.disconnectAll();
  await until('every connection of the family to end', () => family.copies === 0 && family.status === 'end', 10_000, 20);
  t.is(family.copies, 0);
});
