/** The console's way to the master: spool (memory, then a spill file) and shipper, against an in-memory master. */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { BuildControl } from '../../shared/src/agent-protocol.ts';
import { ByteSpool } from '../../worker/src/byte-spool.ts';
import { LogShipper, type LogChannel } from '../../worker/src/log-shipper.ts';
import { MasterError } from '../../worker/src/master-client.ts';

const dir = () => mkdtemp(join(tmpdir(), 'jk-spool-'));

test('the spool keeps order across memory and its spill file, and removes the file once read', async (t) => {
  const d = await dir();
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

/** The master's log endpoint, in memory: offsets, gaps, abort, and failures on demand. */
class MemoryMaster implements LogChannel {
  console: Buffer;
  abort = false;
  down = false;
  posts: number[] = [];
  pings = 0;
  constructor(header: string) {
    this.console = Buffer.from(header);
  }
  async sendLog(_id: number, offset: number, bytes: Uint8Array): Promise<BuildControl> {
    await sleep(1);
    if (this.down) throw new TypeError('fetch failed');
    if (offset > this.console.length) throw new MasterError(409, 'gap', undefined, { error: { code: 'conflict', message: 'gap' }, logSize: this.console.length });
    this.posts.push(bytes.length);
    this.console = Buffer.concat([this.console, Buffer.from(bytes).subarray(this.console.length - offset)]);
    return { logSize: this.console.length, abort: this.abort };
  }
  async ping(): Promise<BuildControl> {
    if (this.down) throw new TypeError('fetch failed');
    this.pings++;
    return { logSize: this.console.length, abort: this.abort };
  }
}

function shipper(master: MemoryMaster, spillDir: string, extra: Partial<ConstructorParameters<typeof LogShipper>[0]> = {}) {
  const events = { aborted: 0, warnings: [] as string[] };
  const s = new LogShipper({
    channel: master,
    buildId: 1,
    startOffset: master.console.length,
    spillPath: join(spillDir, 'console.spool'),
    onAbort: () => events.aborted++,
    warn: (m) => events.warnings.push(m),
    ...extra,
  });
  return { s, events };
}

test('bytes are batched, shipped at the right offsets, and flush waits for the acknowledgement', async (t) => {
  const m = new MemoryMaster('head\n');
  const { s } = shipper(m, await dir(), { batchMs: 50 });
  s.write(Buffer.from('a'));
  s.write(Buffer.from('b'));
  await sleep(20);
  t.is(m.posts.length, 0); // still batching
  s.write(Buffer.from('c\n'));
  await s.flush();
  t.deepEqual(m.posts, [4]);
  t.is(m.console.toString(), 'head\nabc\n');
  t.is(s.size, m.console.length);
  t.is(s.pending, 0);
  await s.close();
});

test('a master that is down for a while gets everything once it is back, spilled to disk meanwhile', async (t) => {
  const d = await dir();
  const m = new MemoryMaster('');
  const { s, events } = shipper(m, d, { batchMs: 10, batchBytes: 1000, maxMemoryBytes: 5000 });
  m.down = true;
  const all: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(`line ${i}\n`);
    all.push(b);
    s.write(b);
  }
  await sleep(100);
  t.true((await readdir(d)).includes('console.spool'));
  t.true(events.warnings.some((w) => /cannot reach the master/.test(w)));
  m.down = false;
  await s.flush();
  t.deepEqual(m.console, Buffer.concat(all));
  t.true(m.posts.every((n) => n <= 1000));
  await s.close();
  t.deepEqual(await readdir(d), []);
});

test('abort in an answer is passed on once; a quiet shipper pings', async (t) => {
  const m = new MemoryMaster('');
  const { s, events } = shipper(m, await dir(), { pingMs: 30 });
  await sleep(100);
  t.true(m.pings >= 2);
  m.abort = true;
  await sleep(60);
  s.write(Buffer.from('x'));
  await s.flush();
  t.is(events.aborted, 1);
  await s.close();
});

test('a refusal that retrying cannot fix fails the shipper: flush rejects, onFailure is told', async (t) => {
  const failures: Error[] = [];
  const channel: LogChannel = {
    sendLog: async () => {
      throw new MasterError(409, 'build is finished', undefined, { error: { code: 'conflict', message: 'build is finished' } });
    },
    ping: async () => ({ logSize: 0, abort: false }),
  };
  const s = new LogShipper({ channel, buildId: 1, startOffset: 0, spillPath: join(await dir(), 's'), onAbort: () => {}, onFailure: (e) => failures.push(e), warn: () => {} });
  s.write(Buffer.from('x'));
  await t.throwsAsync(s.flush(), { message: /build is finished/ });
  t.is(failures.length, 1);
  await s.close();
});

test('giveUp stops the retries', async (t) => {
  const m = new MemoryMaster('');
  m.down = true;
  const giveUp = new AbortController();
  const { s } = shipper(m, await dir(), { giveUp: giveUp.signal });
  s.write(Buffer.from('lost'));
  const flushed = s.flush();
  await sleep(300);
  giveUp.abort();
  await t.throwsAsync(flushed, { message: /gave up/ });
  await s.close();
});
