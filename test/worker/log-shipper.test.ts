/**
 * The console's way to the master: the spool (memory, then a spill file), and the shipper
 * talking to the real master (test-master.ts) through the agent's real MasterClient, for a build
 * the test started as an agent.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import type { BuildSpec } from '../../shared/src/agent-protocol.ts';
import { ByteSpool } from '../../worker/src/byte-spool.ts';
import { LogShipper } from '../../worker/src/log-shipper.ts';
import { MasterClient } from '../../worker/src/master-client.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { until as eventually } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

/** A spill directory, removed after the test. */
async function dir(t: ExecutionContext): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'jk-spool-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('the spool keeps order across memory and its spill file, and removes the file once read', async (t) => {
  const d = await dir(t);
  const spool = new ByteSpool(join(d, 'x.spool'), 10);
  const all: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const b = Buffer.from(`<${i}>`);
    all.push(b);
    spool.append(b);
  }
  const expected = Buffer.concat(all);
  t.true(spool.spilling);
  t.is(spool.length, expected.length);
  const out: Buffer[] = [];
  while (spool.length > 0) {
    const chunk = Buffer.from(spool.peek(7));
    out.push(chunk);
    spool.drop(chunk.length);
    spool.append(Buffer.alloc(0));
  }
  t.deepEqual(Buffer.concat(out), expected);
  t.false(spool.spilling);
  t.deepEqual(await readdir(d), []);
  spool.prepend(Buffer.from('front'));
  spool.append(Buffer.from('back'));
  t.is(spool.peek(100).toString(), 'frontback');
  spool.close();
  t.is(spool.length, 0);
});

interface Setup {
  m: TestMaster;
  admin: string;
  client: MasterClient;
  spec: BuildSpec;
  /** The console as the master has it. */
  console(): Promise<Buffer>;
  /** Sizes of the chunks the master stored after the header, in order (one per accepted post). */
  posts(): Promise<readonly number[]>;
  seenAt(): Promise<number | null>;
}

/** A master, an agent logged in with the real client, and a build it started (nothing runs it). */
async function setup(t: ExecutionContext): Promise<Setup> {
  const m = await startTestMaster();
  t.teardown(() => m.close());
  const admin = await bootstrapAdmin(m.url);
  const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'shipper', executors: 1 } });
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'job' } });
  const queueId = (await call(m.url, 'POST', '/api/jobs/job/builds', { token: admin, json: {} })).body.queueId as number;
  const client = new MasterClient(m.url, { name: 'shipper', secret: body.secret });
  const spec = await client.startBuild(queueId, 0);
  return {
    m,
    admin,
    client,
    spec,
    console: async () => Buffer.from(await (await fetch(`${m.url}/api/jobs/job/builds/1/log`, { headers: { authorization: `Bearer ${admin}` } })).arrayBuffer()),
    posts: () => m.pool.anyFirst(sql.type(z.object({ n: z.number() }))`
      SELECT length(data) AS n FROM build_log_chunks WHERE build_id = ${queueId} AND start_offset >= ${spec.logOffset} ORDER BY start_offset`),
    seenAt: () => m.pool.oneFirst(sql.type(z.object({ at: z.number().nullable() }))`SELECT agent_seen_at AS at FROM builds WHERE id = ${queueId}`),
  };
}

function shipper(s: Setup, spillDir: string, extra: Partial<ConstructorParameters<typeof LogShipper>[0]> = {}) {
  const events = { aborted: 0, warnings: [] as string[] };
  const shipper = new LogShipper({
    channel: s.client,
    buildId: s.spec.buildId,
    startOffset: s.spec.logOffset,
    spillPath: join(spillDir, 'console.spool'),
    onAbort: () => events.aborted++,
    warn: (m) => events.warnings.push(m),
    ...extra,
  });
  return { s: shipper, events };
}

const HEADER = 'Started by user admin\n';

test('bytes are batched, shipped at the right offsets, and flush waits for the acknowledgement', async (t) => {
  const rig = await setup(t);
  const { s } = shipper(rig, await dir(t), { batchMs: 100 });
  s.write(Buffer.from('a'));
  s.write(Buffer.from('b'));
  // A negative within the batch window (100 ms): no event marks "not yet sent", so this one is timed.
  await sleep(30);
  t.deepEqual(await rig.posts(), []); // still batching
  s.write(Buffer.from('c\n'));
  await s.flush();
  t.deepEqual(await rig.posts(), [4]); // one post
  t.is((await rig.console()).toString(), `${HEADER}abc\n`);
  t.is(s.size, HEADER.length + 4);
  t.is(s.pending, 0);
  await s.close();
});

test('a master that is down for a while gets everything once it is back, spilled to disk meanwhile', async (t) => {
  const rig = await setup(t);
  const d = await dir(t);
  const { s, events } = shipper(rig, d, { batchMs: 10, batchBytes: 1000, maxMemoryBytes: 5000 });
  await rig.m.down();
  const all: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(`line ${i}\n`);
    all.push(b);
    s.write(b);
  }
  await eventually('the shipper to spill and warn', async () => (await readdir(d)).includes('console.spool') && events.warnings.some((w) => /cannot reach the master/.test(w)), 10_000, 20);
  await rig.m.up();
  await s.flush();
  t.deepEqual(await rig.console(), Buffer.concat([Buffer.from(HEADER), ...all]));
  const posts = await rig.posts();
  t.true(posts.every((n) => n <= 1000), posts.join(', '));
  await s.close();
  t.deepEqual(await readdir(d), []);
});

test('abort in an answer is passed on once; a quiet shipper pings', async (t) => {
  const rig = await setup(t);
  const { s, events } = shipper(rig, await dir(t), { pingMs: 30 });
  const seen = new Set<number | null>();
  // Nothing was logged: what the master hears are pings.
  await eventually('three pings', async () => seen.add(await rig.seenAt()).size >= 3, 10_000, 10);
  t.true(seen.size >= 3);
  t.deepEqual(await rig.posts(), []);
  t.is((await call(rig.m.url, 'POST', '/api/jobs/job/builds/1/abort', { token: rig.admin })).status, 202);
  await until(() => events.aborted > 0); // a ping's answer carries it
  s.write(Buffer.from('x'));
  await s.flush(); // this answer carries the abort again: it must not be passed on twice
  t.is(events.aborted, 1);
  await s.close();
});

test('a refusal that retrying cannot fix fails the shipper: flush rejects, onFailure is told', async (t) => {
  const rig = await setup(t);
  await rig.client.finishBuild(rig.spec.buildId, { result: 'SUCCESS', logSize: rig.spec.logOffset });
  const failures: Error[] = [];
  const { s } = shipper(rig, await dir(t), { onFailure: (e) => failures.push(e) });
  s.write(Buffer.from('x'));
  await t.throwsAsync(s.flush(), { message: /is finished/ });
  t.is(failures.length, 1);
  t.is((await rig.console()).toString(), `${HEADER}Finished: SUCCESS\n`);
  await s.close();
});

test('giveUp stops the retries', async (t) => {
  const rig = await setup(t);
  await rig.m.down();
  const giveUp = new AbortController();
  const { s, events } = shipper(rig, await dir(t), { giveUp: giveUp.signal });
  s.write(Buffer.from('lost'));
  const flushed = s.flush();
  await until(() => events.warnings.length > 0); // it failed once and is retrying
  giveUp.abort();
  await t.throwsAsync(flushed, { message: /gave up/ });
  await s.close();
});

test('flow control: full while two batches wait and the master takes them, drained once it acknowledged; never full while the master cannot be reached', async (t) => {
  const d = await dir(t);
  let answer: ((logSize: number) => void) | undefined;
  let prompt = false; // after the first answer, the master answers at once
  const slow = {
    sendLog: (_id: number, offset: number, parts: readonly Uint8Array[]) =>
      new Promise<{ logSize: number; abort: boolean }>((resolve) => {
        const end = offset + parts.reduce((n, p) => n + p.byteLength, 0);
        if (prompt) resolve({ logSize: end, abort: false });
        else answer = (logSize) => resolve({ logSize, abort: false });
      }),
    ping: async () => ({ logSize: 0, abort: false }),
  };
  const shipper = new LogShipper({ channel: slow, buildId: 1, startOffset: 0, spillPath: join(d, 'a.spool'), onAbort: () => {}, warn: () => {}, batchMs: 1, batchBytes: 100 });
  shipper.write(Buffer.alloc(250, 1));
  await until(() => answer !== undefined);
  t.true(shipper.full, '250 bytes wait, the batch is 100');
  let drained = false;
  shipper.whenDrained(() => (drained = true));
  t.false(drained);
  prompt = true;
  answer!(100); // the master stored the first batch
  await until(() => drained);
  t.false(shipper.full);
  await shipper.flush();
  await shipper.close();

  // The master is away: the step must not stall, its output spills instead.
  const away = {
    sendLog: async () => {
      throw new TypeError('fetch failed');
    },
    ping: async () => {
      throw new TypeError('fetch failed');
    },
  };
  const offline = new LogShipper({ channel: away, buildId: 2, startOffset: 0, spillPath: join(d, 'b.spool'), onAbort: () => {}, warn: () => {}, batchMs: 1, batchBytes: 100 });
  offline.write(Buffer.alloc(1000, 3));
  await until(() => !offline.full);
  let resumed = false;
  offline.whenDrained(() => (resumed = true));
  t.true(resumed);
  await offline.close();
});

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}
