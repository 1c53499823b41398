/**
 * The outbox: a message written in a transaction is sent once after it commits (none when it
 * rolls back), by whichever master claims it; a build's messages of one target go in order; a
 * service's Retry-After is honoured without using up attempts; failures back off, then give up.
 */
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { createLogger } from '../../master/src/log.ts';
import { Outbox, PermanentFailure, RetryLater, type OutboxMessage } from '../../master/src/outbox/outbox.ts';
import { builds } from '../helpers/fleet.ts';
import { bootstrapAdmin } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

const silent = createLogger('silent');
const FAST = { firstBackoffMs: 10, maxBackoffMs: 40, maxAttempts: 3 };

let m: TestMaster;
let buildIds: number[];
test.before(async () => {
  m = await startTestMaster();
  const admin = await bootstrapAdmin(m.url);
  const api = builds(m, admin);
  await api.job('outboxed', { concurrentBuild: true });
  buildIds = [];
  for (let i = 0; i < 6; i++) buildIds.push(await api.trigger('outboxed'));
});
test.after.always(() => m?.close());

const rowsOf = (kind: string) =>
  m.pool.any(sql.type(z.object({ event: z.string(), state: z.string(), attempts: z.number(), answer: z.unknown(), last_error: z.string().nullable() }))`
    SELECT event, state, attempts, answer, last_error FROM outbox WHERE kind = ${kind} ORDER BY id`);

test('a message is written once however often it is added, never for a rolled-back change, and sent once', async (t) => {
  const outbox = new Outbox(m.pool, silent, FAST);
  const sent: OutboxMessage[] = [];
  outbox.register('once', { send: async (msg) => void sent.push(msg) });
  const entry = { kind: 'once', buildId: buildIds[0]!, event: 'finished', payload: { text: 'hello' } };
  await m.pool.transaction((tx) => outbox.add(tx, [entry, entry]));
  await m.pool.transaction((tx) => outbox.add(tx, [entry]));
  await t.throwsAsync(m.pool.transaction(async (tx) => {
    await outbox.add(tx, [{ ...entry, event: 'started' }]);
    throw new Error('rolled back');
  }));
  t.is(await outbox.drain(), 1);
  t.is(await outbox.drain(), 0);
  t.deepEqual(sent.map((s) => [s.event, s.payload, s.attempt]), [['finished', { text: 'hello' }, 1]]);
  t.like(await rowsOf('once'), [{ event: 'finished', state: 'sent', attempts: 1 }]);
});

test('two masters draining at once send each message exactly once; a build end waits for its start and reads its answer', async (t) => {
  const a = new Outbox(m.pool, silent, FAST);
  const b = new Outbox(m.pool, silent, FAST);
  const sent: string[] = [];
  const threads: unknown[] = [];
  for (const [name, box] of [['a', a], ['b', b]] as const) {
    box.register('pair', {
      send: async (msg, earlier) => {
        if (msg.event === 'finished') threads.push(await earlier('started'));
        await new Promise((r) => setTimeout(r, 5)); // the call to the service: no database connection held
        sent.push(`${msg.buildId}:${msg.event}`);
        return { ts: `${msg.buildId}.${name}` };
      },
    });
  }
  const ids = buildIds.slice(1, 5);
  await m.pool.transaction((tx) => a.add(tx, ids.flatMap((id) => ['started', 'finished'].map((event) => ({ kind: 'pair', buildId: id, event, payload: {} })))));
  await Promise.all([a.drain(), b.drain(), a.drain(), b.drain()]);
  t.is(sent.length, 8);
  t.is(new Set(sent).size, 8);
  for (const id of ids) t.true(sent.indexOf(`${id}:started`) < sent.indexOf(`${id}:finished`), `${id}: start before end`);
  t.is(threads.length, 4);
  for (const answer of threads) t.regex((answer as { ts: string }).ts, /^\d+\.[ab]$/);
});

test('Retry-After waits without using up an attempt; other failures back off, then give up and say so', async (t) => {
  const outbox = new Outbox(m.pool, silent, FAST);
  let throttled = 0;
  const given: string[] = [];
  outbox.register('flaky', {
    send: async (msg) => {
      if (msg.event === 'throttled' && throttled++ < 4) throw new RetryLater('429', 15);
      if (msg.event === 'broken') throw new Error('connection refused');
      if (msg.event === 'refused') throw new PermanentFailure('invalid_auth');
      return { ok: true };
    },
    gaveUp: async (msg, reason) => void given.push(`${msg.event}: ${reason}`),
  });
  const id = buildIds[5]!;
  await m.pool.transaction((tx) => outbox.add(tx, ['throttled', 'broken', 'refused'].map((event) => ({ kind: 'flaky', buildId: id, event, target: event, payload: {} }))));
  const started = Date.now();
  for (let i = 0; i < 50 && (await rowsOf('flaky')).some((r) => r.state === 'pending'); i++) {
    await outbox.drain();
    await new Promise((r) => setTimeout(r, 10));
  }
  const rows = await rowsOf('flaky');
  t.like(rows[0], { event: 'throttled', state: 'sent', attempts: 1, answer: { ok: true } }); // four 429s cost no attempt
  t.true(Date.now() - started >= 4 * 15, 'each Retry-After was waited');
  t.like(rows[1], { event: 'broken', state: 'failed', attempts: 3, last_error: 'connection refused' });
  t.like(rows[2], { event: 'refused', state: 'failed', attempts: 1, last_error: 'invalid_auth' });
  t.deepEqual(given.sort(), ['broken: connection refused', 'refused: invalid_auth']);
  await outbox.stop();
});

test('a message held by a master that died is sent by another once its lease passed', async (t) => {
  // Both masters read one clock that the test moves: the lease passes without waiting for it.
  let offset = 0;
  const now = () => Date.now() + offset;
  const dying = new Outbox(m.pool, silent, { ...FAST, leaseMs: 60_000, now });
  let hang: () => void = () => {};
  let claimed: () => void = () => {};
  const sending = new Promise<void>((r) => (claimed = r));
  dying.register('lease', { send: () => (claimed(), new Promise((r) => (hang = () => r(undefined)))) });
  await m.pool.transaction((tx) => dying.add(tx, [{ kind: 'lease', buildId: buildIds[0]!, event: 'finished', payload: {} }]));
  void dying.drain(); // claims the row, then never answers (the process died mid-call)
  await sending;
  const heir = new Outbox(m.pool, silent, { ...FAST, now });
  const sent: number[] = [];
  heir.register('lease', { send: async (msg) => void sent.push(msg.attempt) });
  t.is(await heir.drain(), 0, 'held by the first master');
  offset = 59_000;
  t.is(await heir.drain(), 0, 'still held a second before its lease ends');
  offset = 60_001;
  t.is(await heir.drain(), 1);
  t.deepEqual(sent, [2]);
  hang();
});

test('sent and failed rows are kept for keepDays, pending ones always', async (t) => {
  const outbox = new Outbox(m.pool, silent, { ...FAST, keepDays: 0 });
  outbox.register('pruned', { send: async () => ({}) });
  await m.pool.transaction((tx) => outbox.add(tx, ['sent', 'waiting'].map((event) => ({ kind: 'pruned', buildId: buildIds[1]!, event, target: event, payload: {} }))));
  await m.pool.query(sql.unsafe`UPDATE outbox SET next_attempt_at = now() + interval '1 hour' WHERE kind = 'pruned' AND event = 'waiting'`);
  t.is(await outbox.drain(), 1);
  t.is(await outbox.prune(), 1);
  t.like(await rowsOf('pruned'), [{ event: 'waiting', state: 'pending' }]);
});
