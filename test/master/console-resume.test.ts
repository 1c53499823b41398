/**
 * The console stream resumes byte-exactly: each event's id is the offset just past the bytes its
 * text (and the text before it) delivered, so resuming from any id gives exactly the rest — with
 * 2-, 3- and 4-byte UTF-8 characters split across upload batches (stored rows), across the
 * 256 KiB event limit inside a row, and across the 1 MiB row limit inside one upload.
 */
import test from 'ava';
import type { MasterClient } from '../../worker/src/master-client.ts';
import { consoleAgent, runningBuild as startBuild } from '../helpers/console-builds.ts';
import { MAX_EVENT_BYTES } from '../../master/src/console/console-stream.ts';
import { ROW_BYTES } from '../../master/src/console/console-store.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { openSse, type SseEvent } from '../helpers/sse.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: MasterClient;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agent = await consoleAgent(m, admin, 'resume');
});
test.after.always(() => m?.close());
const runningBuild = (name: string, executor: number) => startBuild(m, admin, agent, name, executor);

const logText = (events: SseEvent[]) => events.filter((e) => e.event === 'log').map((e) => e.data as string).join('');
const consoleUrl = (name: string, query = '') => `${m.url}/api/jobs/${name}/builds/1/console${query}`;

async function storedBytes(name: string): Promise<Buffer> {
  const res = await fetch(`${m.url}/api/jobs/${name}/builds/1/log`, { headers: { authorization: `Bearer ${admin}` } });
  return Buffer.from(await res.arrayBuffer());
}

/** Every id of `events` is a character boundary, the text up to it is the bytes up to it, and resuming there gives exactly the rest. */
async function checkEveryResume(t: import('ava').ExecutionContext, name: string, events: SseEvent[], stored: Buffer) {
  let upTo = '';
  const ids: number[] = [];
  for (const e of events) {
    if (e.event === 'log') upTo += e.data as string;
    if (e.id === undefined) continue;
    const id = Number(e.id);
    t.is(upTo, stored.subarray(0, id).toString('utf8'), `the text up to id ${id} is the bytes up to it`);
    ids.push(id);
  }
  t.is(ids.at(-1), stored.length, 'the last id is the console size');
  for (const id of new Set(ids)) {
    const resumed = await openSse(consoleUrl(name), admin, { 'last-event-id': String(id) });
    await resumed.ended;
    t.is(logText(resumed.events), stored.subarray(id).toString('utf8'), `resuming from ${id}: exactly the rest`);
  }
}

test('characters split across upload batches: the live stream and a resume from every event id lose and repeat nothing', async (t) => {
  t.timeout(120_000);
  const { id, offset } = await runningBuild('split-batches', 0);
  const sse = await openSse(consoleUrl('split-batches'), admin);
  t.teardown(() => sse.close());
  const text = Buffer.from('a\u00e9b\u20acc\u{1F600}d \u00e9\u00e9\u20ac\u{1F600}\u{1F600}\n'.repeat(6));
  // Batches of 1 to 5 bytes: every cut position inside 2-, 3- and 4-byte characters occurs.
  let at = 0;
  for (let size = 1; at < text.length; size = (size % 5) + 1) {
    const batch = text.subarray(at, at + size);
    await agent.sendLog(id, offset + at, [batch]);
    at += batch.length;
  }
  await agent.finishBuild(id, { result: 'SUCCESS', logSize: offset + text.length });
  await sse.ended;
  const stored = await storedBytes('split-batches');
  t.true(stored.subarray(offset, offset + text.length).equals(text));
  t.is(logText(sse.events), stored.toString('utf8'), 'the live viewer got every character once');
  t.false(logText(sse.events).includes('\uFFFD'), 'no character was broken');
  await checkEveryResume(t, 'split-batches', sse.events, stored);
});

test('characters split by the 256 KiB event limit and the 1 MiB row limit: resumes are byte-exact', async (t) => {
  t.timeout(120_000);
  const { id, offset } = await runningBuild('split-rows', 1);
  // The upload is rows of its own (the header is another): the event limit falls after the first
  // byte of a 4-byte character, the row limit after the first byte of a 3-byte one.
  const parts = [Buffer.alloc(MAX_EVENT_BYTES - 1, 'x'), Buffer.from('\u{1F600}'), Buffer.alloc(ROW_BYTES - 1 - (MAX_EVENT_BYTES + 3), 'y'), Buffer.from('\u20ac\u00e9\u00e9 end\n')];
  const upload = Buffer.concat(parts);
  await agent.sendLog(id, offset, [upload]);
  await agent.finishBuild(id, { result: 'SUCCESS', logSize: offset + upload.length });
  const stored = await storedBytes('split-rows');
  const sse = await openSse(consoleUrl('split-rows'), admin);
  await sse.ended;
  t.is(logText(sse.events), stored.toString('utf8'));
  await checkEveryResume(t, 'split-rows', sse.events, stored);
});

test('?start= inside a character starts at the next whole one, and its first id still counts every byte', async (t) => {
  const { id, offset } = await runningBuild('mid-char', 2);
  const text = Buffer.from('\u{1F600}tail\n');
  await agent.sendLog(id, offset, [text]);
  await agent.finishBuild(id, { result: 'SUCCESS', logSize: offset + text.length });
  const stored = await storedBytes('mid-char');
  const sse = await openSse(consoleUrl('mid-char', `?start=${offset + 2}`), admin);
  await sse.ended;
  const first = sse.events.find((e) => e.event === 'log')!;
  t.true(first.data.startsWith('tail\n'), JSON.stringify(first.data));
  t.is(Number(first.id), offset + 4 + Buffer.byteLength(first.data));
  t.is(logText(sse.events), stored.subarray(offset + 4).toString('utf8'));
});
