/**
 * An agent's Redis credentials (GET /api/agent/work-config) are its own, limited to the queues it
 * works: a real master and a real agent on the test Redis, and a client acting with exactly the
 * credentials the work config hands out. ACL users are Redis-wide: the test master names them by
 * its own prefix and deletes them when it closes.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { Redis } from 'ioredis';
import { AGENT_REDIS_COMMANDS } from '../../master/src/agents/agent-redis.ts';
import { WorkConfig } from '../../shared/src/agent-protocol.ts';
import { startRig, type Rig } from '../helpers/agent-rig.ts';
import { agentLogin, call } from '../helpers/http.ts';
import { TEST_REDIS_URL } from '../helpers/test-master.ts';

async function workConfig(rig: Rig): Promise<WorkConfig> {
  const token = (await call(rig.m.url, 'POST', '/login-slave', { json: agentLogin(rig.name, rig.secret) })).text;
  const res = await call(rig.m.url, 'GET', '/api/agent/work-config', { token });
  if (res.status !== 200) throw new Error(`work-config: ${res.status} ${res.text}`);
  return WorkConfig.parse(res.body);
}

/** A client with the work config's credentials; errors instead of retries, closed with the test. */
function asAgent(t: { teardown(fn: () => void): void }, url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 0, enableReadyCheck: false, retryStrategy: () => null });
  c.on('error', () => {});
  t.teardown(() => c.disconnect());
  return c;
}

const denied = async (t: { regex(s: string, r: RegExp, m?: string): void }, what: string, p: Promise<unknown>) => {
  const err = await p.then(() => undefined, (e: Error) => e);
  t.regex(err?.message ?? 'it was allowed', /NOPERM/, what);
};

test('the work config carries an ACL user of the agent\'s own: no throttle keys, no events channel, no admin commands, no other keys', async (t) => {
  const rig = await startRig(t, { labels: ['linux'] });
  await rig.job('ok', { steps: [{ type: 'shell', script: 'echo hello' }] });
  await rig.job('win', { label: 'windows', steps: [{ type: 'shell', script: 'echo never' }] });
  const built = await rig.finished(await rig.trigger('ok'));
  t.is(built.result, 'SUCCESS', built.text); // builds really run through the agent's own user

  const config = await workConfig(rig);
  const url = new URL(config.redis.url);
  t.truthy(url.username, 'a user name');
  t.not(url.username, 'default');
  t.truthy(url.password);
  const agent = asAgent(t, config.redis.url);
  t.is(await agent.ping(), 'PONG');

  // A locked-out account stays locked: the throttle's counters are out of reach.
  for (let i = 0; i < 3; i++) await call(rig.m.url, 'POST', '/login', { json: { username: 'admin', password: 'wrong password' } });
  const throttleKeys = await rig.m.redis.keys(`${rig.m.redisPrefix}login-fail-*`);
  t.true(throttleKeys.length > 0, 'failed logins left counters');
  for (const key of throttleKeys) {
    await denied(t, `DEL ${key}`, agent.del(key));
    await denied(t, `GET ${key}`, agent.get(key));
  }
  t.is(await rig.m.redis.exists(...throttleKeys), throttleKeys.length);

  // No forged live events: neither publishing nor listening on the master's channels.
  await denied(t, 'PUBLISH events', agent.publish(`${rig.m.redisPrefix}events`, JSON.stringify({ type: 'agent.online', agent: '<img src=x onerror=alert(1)>' })));
  await denied(t, 'PUBLISH work-config', agent.publish(`${config.redis.prefix}:work-config`, 'changed'));
  const listener = asAgent(t, config.redis.url);
  await denied(t, 'SUBSCRIBE events', listener.subscribe(`${rig.m.redisPrefix}events`));
  await denied(t, 'PSUBSCRIBE *', asAgent(t, config.redis.url).psubscribe('*'));
  t.is(await asAgent(t, config.redis.url).subscribe(`${config.redis.prefix}:work-config`), 1); // the one channel it needs

  // No admin, keyspace-wide or dangerous commands.
  await denied(t, 'FLUSHALL', agent.flushall());
  await denied(t, 'FLUSHDB', agent.flushdb());
  await denied(t, 'CONFIG GET', agent.config('GET', '*'));
  await denied(t, 'ACL LIST', agent.call('ACL', 'LIST'));
  await denied(t, 'ACL SETUSER', agent.call('ACL', 'SETUSER', url.username, '+@all', '~*'));
  await denied(t, 'KEYS', agent.keys('*'));
  await denied(t, 'SCAN', agent.scan(0));
  await denied(t, 'INFO', agent.info());
  await denied(t, 'SCRIPT FLUSH', agent.script('FLUSH'));
  await denied(t, 'CLIENT KILL', agent.call('CLIENT', 'KILL', 'TYPE', 'normal'));
  await denied(t, 'SHUTDOWN', agent.call('SHUTDOWN', 'NOSAVE'));
  // A script runs with the caller's rights, so it cannot reach past them either.
  await denied(t, 'EVAL DEL', agent.eval("return redis.call('DEL', KEYS[1])", 1, throttleKeys[0]!));

  // Other prefixes, and the queues of labels it does not have, are out of reach; its own queues are not.
  await rig.m.redis.set('jk-test-other-prefix:secret', 'x');
  t.teardown(() => void rig.m.redis.del('jk-test-other-prefix:secret'));
  await denied(t, 'GET another prefix', agent.get('jk-test-other-prefix:secret'));
  const queues = config.queues.map((q) => q.name);
  const windows = config.queues.find((q) => q.expression === 'windows')!.name;
  t.true(queues.includes('any'));
  await denied(t, 'a queue it does not work', agent.hgetall(`${config.redis.prefix}:${windows}:meta`));
  t.deepEqual(await agent.hgetall(`${config.redis.prefix}:any:meta`), await rig.m.redis.hgetall(`${config.redis.prefix}:any:meta`));
});

test('a new secret or deleting the agent ends its Redis user and its connections', async (t) => {
  const rig = await startRig(t);
  const before = await workConfig(rig);
  const agent = asAgent(t, before.redis.url);
  t.is(await agent.ping(), 'PONG');
  const closed = new Promise((resolve) => agent.once('end', resolve));
  const renewed = await call(rig.m.url, 'POST', `/api/agents/${rig.name}/secret`, { token: rig.admin });
  t.is(renewed.status, 200);
  await closed; // Redis dropped the connection of the deleted user
  const again = asAgent(t, before.redis.url);
  await t.throwsAsync(again.ping(), { message: /WRONGPASS|NOAUTH|invalid username-password/i });

  rig.secret = renewed.body.secret;
  const after = await workConfig(rig);
  t.not(after.redis.url, before.redis.url);
  t.is(await asAgent(t, after.redis.url).ping(), 'PONG');
  t.is((await call(rig.m.url, 'DELETE', `/api/agents/${rig.name}`, { token: rig.admin })).status, 204);
  await t.throwsAsync(asAgent(t, after.redis.url).ping(), { message: /WRONGPASS|NOAUTH|invalid username-password/i });
});

test("the README's ACL SETUSER for an operator-made agent user lets real builds run, and JONKKINS_AGENT_REDIS_URL with a user is handed out as it is", async (t) => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const line = readme.split('\n').map((l) => l.trim()).find((l) => l.startsWith('ACL SETUSER jk-agents '))!;
  t.deepEqual(line.split(' ').filter((w) => w.startsWith('+')), AGENT_REDIS_COMMANDS.map((c) => `+${c}`), 'the README lists exactly the commands agents need');
  const prefix = `jk-test:${randomUUID()}:`;
  const user = `jk-test-agents-${randomUUID()}`;
  const rules = line.split(' ').slice(3).map((w) => w.replaceAll('jonkkins:', prefix).replace('>PASSWORD', '>operator-pass'));
  const admin = new Redis(TEST_REDIS_URL);
  t.teardown(async () => {
    await admin.call('ACL', 'DELUSER', user);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });
  await admin.call('ACL', 'SETUSER', user, ...rules);
  const agentUrl = `redis://${user}:operator-pass@127.0.0.1:6379`;
  const rig = await startRig(t, { master: { redisPrefix: prefix, agentRedisUrl: agentUrl } });
  t.is((await workConfig(rig)).redis.url, agentUrl);
  await rig.job('ok', { steps: [{ type: 'shell', script: 'echo hello' }] });
  const built = await rig.finished(await rig.trigger('ok'));
  t.is(built.result, 'SUCCESS', built.text);
  await denied(t, 'PUBLISH events', asAgent(t, agentUrl).publish(`${prefix}events`, '{}'));
});

test('a master that may not create Redis users and has no JONKKINS_AGENT_REDIS_URL gives agents 503 and says why, never its own credentials', async (t) => {
  const user = `jk-test-master-${randomUUID()}`;
  const admin = new Redis(TEST_REDIS_URL);
  await admin.call('ACL', 'SETUSER', user, 'on', '>master-pass', '~*', '&*', '+@all', '-acl');
  const restricted = new Redis(`redis://${user}:master-pass@127.0.0.1:6379`, { maxRetriesPerRequest: null });
  t.teardown(async () => {
    restricted.disconnect();
    await admin.call('ACL', 'DELUSER', user);
    admin.disconnect();
  });
  const rig = await startRig(t, { master: { redis: restricted, agentRedisUrl: 'redis://127.0.0.1:6379' } }); // its agent logs in, but gets no work
  const m = rig.m;
  const token = (await call(m.url, 'POST', '/login-slave', { json: agentLogin(rig.name, rig.secret) })).text;
  const res = await call(m.url, 'GET', '/api/agent/work-config', { token });
  t.is(res.status, 503);
  t.regex(res.body.error.message, /JONKKINS_AGENT_REDIS_URL/);
  t.false(res.text.includes('master-pass'));
});
