/**
 * Console timestamps: each line's time is recorded when its first byte reaches the master, and
 * shown on request — `[ISO] ` prefixes in the plain text and progressive reads, `time` events in
 * the stream, and Jenkins Timestamper's `/timestamps/?time=…&appendLog` listing — while the
 * bytes without the option stay exactly what was sent.
 */
import test from 'ava';
import { consoleReader } from '../../master/src/console/console-reader.ts';
import { RawPool } from '../../master/src/db/raw-pool.ts';
import { createLogger } from '../../master/src/log.ts';
import type { MasterClient } from '../../worker/src/master-client.ts';
import { consoleAgent, runningBuild } from '../helpers/console-builds.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { openSse } from '../helpers/sse.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: MasterClient;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agent = await consoleAgent(m, admin, 'times');
});
test.after.always(() => m?.close());

type Window = { from: number; to: number };
/** Sends `text` at the console's end; answers the wall-clock window it was stored in. */
async function timed(id: number, offset: { at: number }, text: string): Promise<Window> {
  const from = Date.now();
  const bytes = Buffer.from(text);
  await agent.sendLog(id, offset.at, [bytes]);
  offset.at += bytes.length;
  // The database's clock and ours are the same machine's; its times are whole milliseconds.
  return { from: from - 1, to: Date.now() + 1 };
}

/** A finished build whose lines came in three uploads: "first", "second" (started in upload 2), "third". */
async function threeUploads(name: string, executor: number) {
  const { id, offset } = await runningBuild(m, admin, agent, name, executor);
  const end = { at: offset };
  const w1 = await timed(id, end, 'first\n');
  const w2 = await timed(id, end, 'sec');
  const w3 = await timed(id, end, 'ond\nthird\n');
  await agent.finishBuild(id, { result: 'SUCCESS', logSize: end.at });
  return { offset, windows: [w1, w2, w3] };
}

const get = (path: string) => call(m.url, 'GET', path, { token: admin });
const within = (t: import('ava').ExecutionContext, at: number, w: Window, what: string) => t.true(at >= w.from && at <= w.to, `${what}: ${new Date(at).toISOString()} not in [${new Date(w.from).toISOString()}, ${new Date(w.to).toISOString()}]`);
const ISO_LINE = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\] (.*)$/;

test('the plain text with ?timestamps=true prefixes every line with the time its first byte arrived; without it the bytes are unchanged', async (t) => {
  const { offset, windows } = await threeUploads('plain', 0);
  const plain = await get('/api/jobs/plain/builds/1/log');
  t.true(plain.text.endsWith('first\nsecond\nthird\nFinished: SUCCESS\n'), plain.text);
  const stamped = await get('/api/jobs/plain/builds/1/log?timestamps=true');
  t.is(stamped.headers.get('x-text-size'), plain.headers.get('x-text-size'), 'X-Text-Size stays the byte size');
  const lines = stamped.text.split('\n').slice(0, -1);
  t.is(lines.length, plain.text.split('\n').length - 1, 'one prefix per line');
  const parsed = lines.map((l) => ISO_LINE.exec(l));
  t.true(parsed.every(Boolean), stamped.text);
  t.deepEqual(parsed.map((p) => p![2]).join('\n') + '\n', plain.text, 'the text after the prefixes is the log');
  const at = (text: string) => Date.parse(parsed.find((p) => p![2] === text)![1]!);
  within(t, at('first'), windows[0]!, 'first');
  within(t, at('second'), windows[1]!, 'second: the time of its first byte, not of its end');
  within(t, at('third'), windows[2]!, 'third');

  // A progressive read from inside a line: that line's rest has no prefix; the next lines do.
  const mid = offset + 'first\nse'.length;
  const part = await get(`/api/jobs/plain/builds/1/log?start=${mid}&timestamps=true`);
  t.regex(part.text, /^cond\n\[[^\]]+\] third\n\[[^\]]+\] Finished: SUCCESS\n$/);
  const atLineStart = await get(`/api/jobs/plain/builds/1/log?start=${offset + 'first\n'.length}&timestamps=true`);
  t.regex(atLineStart.text, /^\[[^\]]+\] second\n/);
  t.is((await get('/api/jobs/plain/builds/1/log?timestamps=maybe')).status, 400);
});

test('the stream with ?timestamps=true sends a time event before text stored at another time', async (t) => {
  const { windows } = await threeUploads('streamed', 1);
  const sse = await openSse(`${m.url}/api/jobs/streamed/builds/1/console?timestamps=true`, admin);
  await sse.ended;
  // Each line gets the time most recently announced before its first character.
  const lineTimes = new Map<string, number>();
  let time: number | null = null;
  let line = '';
  let lineAt: number | null = null;
  for (const e of sse.events) {
    if (e.event === 'time') time = e.data as number | null;
    if (e.event !== 'log') continue;
    for (const ch of e.data as string) {
      if (line === '') lineAt = time;
      if (ch === '\n') {
        lineTimes.set(line, lineAt!);
        line = '';
      } else line += ch;
    }
  }
  within(t, lineTimes.get('first')!, windows[0]!, 'first');
  within(t, lineTimes.get('second')!, windows[1]!, 'second');
  within(t, lineTimes.get('third')!, windows[2]!, 'third');
  const plainStream = await openSse(`${m.url}/api/jobs/streamed/builds/1/console`, admin);
  await plainStream.ended;
  t.false(plainStream.events.some((e) => e.event === 'time'), 'no time events unless asked');
});

test("Timestamper's /timestamps/ listing: clock time in a pattern and zone, elapsed time, precision, appendLog; bad patterns are 400", async (t) => {
  const { windows } = await threeUploads('stamper', 2);
  const build = (await get('/api/jobs/stamper/builds/1')).body;
  const clock = await get('/api/jobs/stamper/builds/1/timestamps?time=HH:mm:ss.SSS&timeZone=UTC&appendLog');
  const lines = clock.text.split('\n').slice(0, -1);
  const first = lines.find((l) => l.endsWith(' first'))!;
  t.regex(first, /^\d\d:\d\d:\d\d\.\d{3} first$/);
  const hms = (ms: number) => new Date(ms).toISOString().slice(11, 23);
  t.true(first.slice(0, 12) >= hms(windows[0]!.from) && first.slice(0, 12) <= hms(windows[0]!.to), `${first} vs ${hms(windows[0]!.from)}`);
  t.true(lines.some((l) => / second$/.test(l)) && lines.some((l) => / Finished: SUCCESS$/.test(l)));

  // Without appendLog: the times only, one line per console line; the default is elapsed seconds with 3 decimals.
  const plain = (await get('/api/jobs/stamper/builds/1/log')).text;
  const elapsed = (await get('/api/jobs/stamper/builds/1/timestamps')).text.split('\n').slice(0, -1);
  t.is(elapsed.length, plain.split('\n').length - 1);
  t.true(elapsed.every((l) => /^\d+\.\d{3}$/.test(l)), elapsed.join('|'));
  const started = Date.parse(build.startedAt);
  const third = Number(elapsed.at(-2)) * 1000; // the line before "Finished"
  t.true(third >= windows[2]!.from - started - 1 && third <= windows[2]!.to - started + 1, `third at ${third} ms after the start`);
  const both = (await get('/api/jobs/stamper/builds/1/timestamps?elapsed=HH:mm:ss.SSS&precision=seconds&appendLog=true')).text;
  t.regex(both.split('\n').find((l) => l.endsWith('third'))!, /^00:00:\d\d\.\d{3} \d+ third$/);

  t.is((await get('/api/jobs/stamper/builds/1/timestamps?time=QQ')).status, 400);
  t.is((await get(`/api/jobs/stamper/builds/1/timestamps?time=${'H'.repeat(101)}`)).status, 400);
  t.is((await get('/api/jobs/stamper/builds/1/timestamps?time=HH&timeZone=Mars/Olympus')).status, 400);
  t.is((await get('/api/jobs/stamper/builds/1/timestamps?precision=-1')).status, 400);
  t.is((await get('/api/jobs/stamper/builds/1/timestamps?startLine=-10&appendLog')).status, 400, 'not silently ignored');
});

test('without COPY (the PGlite fallback) the reader gives the same pieces and times as with it', async (t) => {
  await threeUploads('readers', 3);
  const build = (await get('/api/jobs/readers/builds/1')).body;
  const size = Number((await get('/api/jobs/readers/builds/1/log')).headers.get('x-text-size'));
  const collect = async (copy: boolean) => {
    const raw = new RawPool(m.databaseUrl, { copy, log: createLogger('silent') });
    t.teardown(() => raw.end());
    const pieces = [];
    for await (const p of consoleReader(m.pool, raw).pieces(build.queueId, 3, size)) pieces.push({ offset: p.offset, data: p.data.toString(), at: p.at });
    return pieces;
  };
  const viaCopy = await collect(true);
  t.true(viaCopy.length >= 4 && viaCopy.every((p) => typeof p.at === 'number'), JSON.stringify(viaCopy));
  t.deepEqual(await collect(false), viaCopy);
});
