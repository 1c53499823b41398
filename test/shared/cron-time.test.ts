// Jenkins cron in time: DST gaps and overlaps, TZ= lines, month ends, leap days, impossible dates.
//
// Semantics under test: each real minute matches when its wall-clock fields in the schedule's zone
// match, so a wall time skipped by spring-forward never runs that day and one repeated by fall-back
// runs twice. Europe/Berlin 2026: 02:00 CET → 03:00 CEST at 2026-03-29 01:00Z, 03:00 CEST → 02:00 CET
// at 2026-10-25 01:00Z. America/New_York 2026: 2026-03-08 07:00Z and 2026-11-01 06:00Z.
import test from 'ava';
import { matches, nextRun, parseCron, previousRun, type CronSchedule } from '../../shared/src/cron.ts';

const MIN = 60_000;
const z = (s: string): Date => new Date(s.endsWith('Z') ? s : `${s}Z`);
const isoOf = (d: Date | null): string | null => (d === null ? null : d.toISOString().replace(':00.000Z', 'Z'));
const next = (s: CronSchedule, from: string): string | null => isoOf(nextRun(s, z(from)));
const prev = (s: CronSchedule, from: string): string | null => isoOf(previousRun(s, z(from)));

/** Every matching minute in [from, to), by brute force. */
function runs(s: CronSchedule, from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = z(from).getTime(); t < z(to).getTime(); t += MIN) if (matches(s, new Date(t))) out.push(isoOf(new Date(t)) ?? '');
  return out;
}

/** The same list, by walking nextRun. */
function walk(s: CronSchedule, from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = nextRun(s, z(from)); d !== null && d < z(to); d = nextRun(s, new Date(d.getTime() + MIN))) out.push(isoOf(d) ?? '');
  return out;
}

/** And backwards by previousRun. */
function walkBack(s: CronSchedule, from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = previousRun(s, new Date(z(to).getTime() - MIN)); d !== null && d >= z(from); d = previousRun(s, new Date(d.getTime() - MIN))) out.unshift(isoOf(d) ?? '');
  return out;
}

test('spring forward: 02:30 does not exist in Berlin on 2026-03-29, so that day has no run', (t) => {
  const s = parseCron('TZ=Europe/Berlin\n30 2 * * *');
  t.is(next(s, '2026-03-28T12:00'), '2026-03-30T00:30Z', '02:30 CEST on the 30th');
  t.is(prev(s, '2026-03-30T00:29'), '2026-03-28T01:30Z', '02:30 CET on the 28th');
  t.deepEqual(runs(s, '2026-03-28T23:00', '2026-03-29T22:00'), [], 'the whole local day of the 29th');
  const wholeHour = parseCron('* 2 * * *', { defaultZone: 'Europe/Berlin' });
  t.deepEqual(runs(wholeHour, '2026-03-28T23:00', '2026-03-29T22:00'), []);
  t.is(next(wholeHour, '2026-03-29T00:30'), '2026-03-30T00:00Z');
  // The hour after the gap is reached one real hour after 01:00 CET.
  const hourly = parseCron('0 * * * *', { defaultZone: 'Europe/Berlin' });
  t.is(next(hourly, '2026-03-29T00:01'), '2026-03-29T01:00Z', '03:00 CEST');
  t.is(walk(hourly, '2026-03-28T23:00', '2026-03-29T22:00').length, 23, 'a 23-hour day');
});

test('fall back: 02:30 happens twice in Berlin on 2026-10-25, and both instants match', (t) => {
  const s = parseCron('TZ=Europe/Berlin\n30 2 * * *');
  t.true(matches(s, z('2026-10-25T00:30')), '02:30 CEST');
  t.true(matches(s, z('2026-10-25T01:30')), '02:30 CET');
  t.is(next(s, '2026-10-24T12:00'), '2026-10-25T00:30Z');
  t.is(next(s, '2026-10-25T00:31'), '2026-10-25T01:30Z');
  t.is(next(s, '2026-10-25T01:31'), '2026-10-26T01:30Z');
  t.is(prev(s, '2026-10-25T01:29'), '2026-10-25T00:30Z');
  t.is(prev(s, '2026-10-25T05:00'), '2026-10-25T01:30Z');
  t.is(prev(s, '2026-10-25T00:29'), '2026-10-24T00:30Z');
  const wholeHour = parseCron('* 2 * * *', { defaultZone: 'Europe/Berlin' });
  t.is(runs(wholeHour, '2026-10-24T22:00', '2026-10-25T23:00').length, 120, 'two real hours of 02:xx');
  const hourly = parseCron('0 * * * *', { defaultZone: 'Europe/Berlin' });
  t.is(walk(hourly, '2026-10-24T22:00', '2026-10-25T23:00').length, 25, 'a 25-hour day');
  const list = parseCron('TZ=Europe/Berlin\n30,45 2 * * *');
  t.deepEqual(walk(list, '2026-10-24T23:00', '2026-10-25T03:00'), ['2026-10-25T00:30Z', '2026-10-25T00:45Z', '2026-10-25T01:30Z', '2026-10-25T01:45Z']);
  t.deepEqual(walkBack(list, '2026-10-24T23:00', '2026-10-25T03:00'), walk(list, '2026-10-24T23:00', '2026-10-25T03:00'));
});

test('New York and a half-hour DST zone (Lord Howe) behave the same way', (t) => {
  const ny = parseCron('30 1 * * *', { defaultZone: 'America/New_York' });
  t.deepEqual(walk(ny, '2026-10-31T12:00', '2026-11-02T00:00'), ['2026-11-01T05:30Z', '2026-11-01T06:30Z']);
  const nyGap = parseCron('TZ=America/New_York\n30 2 * * *');
  t.is(next(nyGap, '2026-03-08T05:00'), '2026-03-09T06:30Z');
  // Lord Howe goes from +11 to +10:30 at 02:00 local on 2026-04-05: 01:30-01:59 repeats.
  const lh = parseCron('TZ=Australia/Lord_Howe\n45 1 * * *');
  t.deepEqual(walk(lh, '2026-04-04T12:00', '2026-04-05T12:00'), ['2026-04-04T14:45Z', '2026-04-04T15:15Z']);
  t.deepEqual(walkBack(lh, '2026-04-04T12:00', '2026-04-05T12:00'), ['2026-04-04T14:45Z', '2026-04-04T15:15Z']);
});

test('walking next/previous agrees with minute-by-minute matching across both 2026 Berlin changes', (t) => {
  const specs = ['*/20 1-3 * * *', '0,59 2 * * 0', '15 * * * *', 'H H(1-3) * * *'];
  for (const spec of specs) {
    const s = parseCron(`TZ=Europe/Berlin\n${spec}`, { seed: 'folder/job' });
    for (const [from, to] of [
      ['2026-03-28T18:00', '2026-03-30T06:00'],
      ['2026-10-24T18:00', '2026-10-26T06:00'],
    ] as const) {
      const brute = runs(s, from, to);
      t.deepEqual(walk(s, from, to), brute, `${spec} next ${from}`);
      t.deepEqual(walkBack(s, from, to), brute, `${spec} previous ${from}`);
    }
  }
});

test('TZ= wins over the default zone; the default zone applies otherwise', (t) => {
  const tokyo = parseCron('TZ=Asia/Tokyo\n0 9 * * 1-5', { defaultZone: 'Europe/Berlin' });
  t.true(matches(tokyo, z('2026-05-05T00:00')), '09:00 JST on a Tuesday');
  t.false(matches(tokyo, z('2026-05-05T07:00')));
  t.is(next(tokyo, '2026-05-08T00:01'), '2026-05-11T00:00Z', 'Friday 09:01 JST → Monday');
  const berlin = parseCron('0 9 * * 1-5', { defaultZone: 'Europe/Berlin' });
  t.is(next(berlin, '2026-05-05T00:00'), '2026-05-05T07:00Z');
  t.is(next(parseCron('0 9 * * 1-5'), '2026-05-05T00:00'), '2026-05-05T09:00Z', 'UTC by default');
  // Day-of-week and day-of-month are the zone's: 00:30 on a Monday in Tokyo is Sunday in UTC.
  const monday = parseCron('TZ=Asia/Tokyo\n30 0 * * 1');
  t.is(next(monday, '2026-05-01T00:00'), '2026-05-03T15:30Z');
  // Aliases use the TZ= zone too (Jenkins' CronTab.set drops it for aliases; we do not).
  const midnight = parseCron('TZ=Asia/Tokyo\n@midnight');
  t.is(next(midnight, '2026-05-05T00:00'), '2026-05-05T15:00Z');
});

test('month ends: 0 0 31 * * skips 30-day months and February', (t) => {
  const s = parseCron('0 0 31 * *');
  t.is(next(s, '2026-04-01T00:00'), '2026-05-31T00:00Z');
  t.is(next(s, '2026-01-31T00:01'), '2026-03-31T00:00Z');
  t.is(prev(s, '2026-07-15T00:00'), '2026-05-31T00:00Z');
  t.deepEqual(
    walk(s, '2026-01-01T00:00', '2027-01-01T00:00').map((d) => d?.slice(5, 7)),
    ['01', '03', '05', '07', '08', '10', '12'],
  );
  t.deepEqual(walkBack(s, '2026-01-01T00:00', '2027-01-01T00:00'), walk(s, '2026-01-01T00:00', '2027-01-01T00:00'));
});

test('leap days: 0 0 29 2 * finds the next leap year, across the 2100 exception', (t) => {
  const s = parseCron('0 0 29 2 *');
  t.is(next(s, '2026-03-01T00:00'), '2028-02-29T00:00Z');
  t.is(prev(s, '2026-03-01T00:00'), '2024-02-29T00:00Z');
  t.is(next(s, '2096-03-01T00:00'), '2104-02-29T00:00Z', '2100 is not a leap year');
  t.is(prev(s, '2104-02-01T00:00'), '2096-02-29T00:00Z');
  const berlin = parseCron('TZ=Europe/Berlin\n0 0 29 2 *');
  t.is(next(berlin, '2026-03-01T00:00'), '2028-02-28T23:00Z');
});

test('H H 28-31 * *: hashed time, the month’s last days', (t) => {
  const s = parseCron('H H 28-31 * *', { seed: 'stuff' });
  const l = s.lines[0];
  t.deepEqual([l?.minutes, l?.hours, l?.daysOfMonth], [[56], [15], [28, 29, 30, 31]]);
  t.is(next(s, '2026-02-01T00:00'), '2026-02-28T15:56Z');
  t.is(next(s, '2026-02-28T15:57'), '2026-03-28T15:56Z');
  t.is(next(s, '2028-02-28T15:57'), '2028-02-29T15:56Z');
  t.deepEqual(walk(s, '2026-04-01T00:00', '2026-05-01T00:00'), ['2026-04-28T15:56Z', '2026-04-29T15:56Z', '2026-04-30T15:56Z']);
  t.is(prev(s, '2026-03-01T00:00'), '2026-02-28T15:56Z');
});

test('impossible dates end the search with null, quickly (SECURITY-790/1193)', (t) => {
  for (const spec of ['0 0 31 2 *', '0 0 30 2 *', '0 0 31 4,6,9,11 *', 'TZ=Europe/Berlin\n0 0 30 2 *', 'TZ=America/New_York\n* * 31 2 1-5']) {
    const s = parseCron(spec);
    const started = performance.now();
    t.is(nextRun(s, z('2026-05-05T10:00')), null, spec);
    t.is(previousRun(s, z('2026-05-05T10:00')), null, spec);
    t.true(performance.now() - started < 1000, `${spec} took ${performance.now() - started} ms`);
  }
  // Rare but possible: 29 February on a Monday (2016, 2044) lies beyond the default ten years.
  const rare = parseCron('0 0 29 2 1');
  t.is(nextRun(rare, z('2026-01-01T00:00')), null);
  const found = nextRun(rare, z('2026-01-01T00:00'), { horizonDays: 20 * 366 });
  t.is(isoOf(found), '2044-02-29T00:00Z');
  t.is(found?.getUTCDay(), 1);
  t.is(prev(rare, '2026-01-01T00:00'), '2016-02-29T00:00Z');
  t.is(nextRun(parseCron('0 0 1 1 *'), z('2026-05-01T00:00'), { horizonDays: 30 }), null, 'a short horizon');
});

test('searches hop, they do not walk minute by minute', (t) => {
  const specs = ['0 0 1 1 *', '@yearly', '0 0 13 * 5', '59 23 31 12 *', 'H H 29 2 *'];
  const started = performance.now();
  for (const zone of ['UTC', 'Europe/Berlin', 'America/Santiago']) {
    for (const spec of specs) {
      const s = parseCron(spec, { defaultZone: zone, seed: 'x' });
      for (let i = 0; i < 20; i++) {
        const from = new Date(Date.UTC(2020 + i, i % 12, 1 + i));
        const n = nextRun(s, from);
        const p = previousRun(s, from);
        t.truthy(n && matches(s, n) && n >= from, `${zone} ${spec} next`);
        t.truthy(p && matches(s, p) && p <= from, `${zone} ${spec} previous`);
      }
    }
  }
  t.true(performance.now() - started < 5000, `${performance.now() - started} ms`);
});

test('Java int overflow in a step is reproduced: 59-59/2147483647 sets every minute', (t) => {
  // Jenkins' doRange loop overflows (59 + 2147483647 < 0) and walks back down; its 1L << i wraps.
  t.is(parseCron('59-59/2147483647 * * * *').lines[0]?.minutes.length, 60);
});
