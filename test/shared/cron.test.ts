// Jenkins cron: the reference's test vectors (jenkins.md §4, from core's CronTabTest), the aliases,
// and the shape of the API. Errors, hashing and time-zone edges live in the sibling cron-*.test.ts.
import test from 'ava';
import {
  CRON_ALIASES,
  matches,
  nextRun,
  parseCron,
  previousRun,
  type CronHash,
  type CronSchedule,
} from '../../shared/src/cron.ts';

/** "2000-03-01 01:10" (or with seconds) read as UTC. */
const at = (s: string): Date => new Date(`${s.replace(' ', 'T')}Z`);
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString().slice(0, 16).replace('T', ' '));
const ceil = (s: CronSchedule, t: string): string | null => iso(nextRun(s, at(t)));
const floor = (s: CronSchedule, t: string): string | null => iso(previousRun(s, at(t)));

/** The minutes of one UTC hour that match. */
function minutesMatching(s: CronSchedule, hour: string): number[] {
  const start = at(hour).getTime();
  const out: number[] = [];
  for (let m = 0; m < 60; m++) if (matches(s, new Date(start + m * 60_000))) out.push(m);
  return out;
}

test('vector 1: 0,30 * * * * ceil', (t) => {
  const s = parseCron('0,30 * * * *');
  t.is(ceil(s, '2000-03-01 01:10'), '2000-03-01 01:30');
  t.is(ceil(s, '2000-03-01 01:40'), '2000-03-01 02:00');
});

test('vector 2: 15,45 3 * * * ceil and floor', (t) => {
  const s = parseCron('15,45 3 * * *');
  t.is(ceil(s, '2000-03-01 02:30'), '2000-03-01 03:15');
  t.is(floor(s, '2000-03-01 04:30'), '2000-03-01 03:45');
});

test('vector 3: 30 * * * * floor', (t) => {
  const s = parseCron('30 * * * *');
  t.is(floor(s, '2000-03-01 01:40'), '2000-03-01 01:30');
  t.is(floor(s, '2000-03-01 01:10'), '2000-03-01 00:30');
});

test('vector 4: day of month AND day of week; DOW 7 is Sunday', (t) => {
  for (const spec of ['0 0 1 * 0', '0 0 1 * 7']) {
    const s = parseCron(spec);
    t.is(ceil(s, '2010-01-01 15:55'), '2010-08-01 00:00', spec);
    t.is(floor(s, '2011-01-01 15:55'), '2010-08-01 00:00', spec);
    t.deepEqual(s.lines[0]?.daysOfWeek, [0], spec);
  }
  // Vixie cron would also run on every Sunday and every 1st; Jenkins does not.
  const s = parseCron('0 0 1 * 0');
  t.false(matches(s, at('2010-01-03 00:00')), 'a Sunday that is not the 1st');
  t.false(matches(s, at('2010-02-01 00:00')), 'a 1st that is not a Sunday');
  t.true(matches(s, at('2010-08-01 00:00')));
});

test('vector 5: 0 23 * * 1-5 from a Sunday', (t) => {
  const s = parseCron('0 23 * * 1-5');
  t.is(at('2011-01-16 00:00').getUTCDay(), 0);
  t.is(ceil(s, '2011-01-16 00:00'), '2011-01-17 23:00');
});

test('vector 6: H, H(a-b), H/n, H(a-b)/n with stub hashes', (t) => {
  const spec = 'H H(5-8) H/3 H(1-10)/4 *';
  const last: CronHash = { next: (n) => n - 1 };
  const a = parseCron(spec, { hash: last }).lines[0];
  t.deepEqual(a?.minutes, [59]);
  t.deepEqual(a?.hours, [8]);
  t.deepEqual(a?.daysOfMonth, [3, 6, 9, 12, 15, 18, 21, 24, 27]);
  t.deepEqual(a?.months, [4, 8]);
  const one: CronHash = { next: () => 1 };
  const b = parseCron(spec, { hash: one }).lines[0];
  t.deepEqual(b?.minutes, [1]);
  t.deepEqual(b?.hours, [6]);
  t.deepEqual(b?.daysOfMonth, [2, 5, 8, 11, 14, 17, 20, 23, 26]);
  t.deepEqual(b?.months, [2, 6, 10]);
});

test('vector 7: seeded H (stuff, junk) from 2013-03-21 16:21', (t) => {
  const from = '2013-03-21 16:21';
  t.is(ceil(parseCron('H 17 * * *', { seed: 'stuff' }), from), '2013-03-21 17:56');
  t.is(ceil(parseCron('H * * * *', { seed: 'stuff' }), from), '2013-03-21 16:56');
  t.is(ceil(parseCron('@hourly', { seed: 'stuff' }), from), '2013-03-21 16:56');
  t.is(ceil(parseCron('H H(12-13) * * *', { seed: 'stuff' }), from), '2013-03-22 13:56');
  t.is(ceil(parseCron('@hourly', { seed: 'junk' }), from), '2013-03-21 17:20');
});

test('vector 8: H/15 with seed stuff is 11,26,41,56', (t) => {
  const s = parseCron('H/15 * * * *', { seed: 'stuff' });
  t.deepEqual(s.lines[0]?.minutes, [11, 26, 41, 56]);
  t.is(ceil(s, '2013-03-21 16:21'), '2013-03-21 16:26');
  t.is(ceil(s, '2013-03-21 16:31'), '2013-03-21 16:41');
  t.is(ceil(s, '2013-03-21 16:42'), '2013-03-21 16:56');
  t.is(ceil(s, '2013-03-21 16:59'), '2013-03-21 17:11');
});

test('vector 9: H(a-b)/n with seed junk, and a step wider than the range', (t) => {
  const a = parseCron('H(0-15)/3 * * * *', { seed: 'junk' });
  t.is(ceil(a, '2013-03-21 00:00'), '2013-03-21 00:02');
  const b = parseCron('H(0-3)/4 * * * *', { seed: 'junk' });
  t.is(ceil(b, '2013-03-21 00:00'), '2013-03-21 00:02');
  t.is(ceil(b, '2013-03-21 00:05'), '2013-03-21 01:02');
  t.throws(() => parseCron('H(0-3)/15 * * * *', { seed: 'junk' }), {
    message: 'line 1:9: 15 is an invalid value. Must be within 1 and 4',
  });
});

test('vector 10: one Random stream across lines (seed → minutes 35 and 56), also under TZ=', (t) => {
  const plain = parseCron('H * * * *\nH * * * *', { seed: 'seed' });
  t.deepEqual(minutesMatching(plain, '2013-03-21 16:00'), [35, 56]);
  const sydney = parseCron('TZ=Australia/Sydney\nH * * * *\nH * * * *', { seed: 'seed' });
  t.is(sydney.timeZone, 'Australia/Sydney');
  t.is(sydney.specTimeZone, 'Australia/Sydney');
  t.deepEqual(minutesMatching(sydney, '2013-03-21 16:00'), [35, 56]);
  t.deepEqual(minutesMatching(sydney, '2013-07-04 03:00'), [35, 56]);
});

test('vector 11: H(a-b) bounds are checked; the widest legal H ranges parse', (t) => {
  t.throws(() => parseCron('H H(12-24) * * *'), { message: 'line 1:10: 24 is an invalid value. Must be within 0 and 23' });
  t.throws(() => parseCron('H(33-66) * * * *'), { message: 'line 1:8: 66 is an invalid value. Must be within 0 and 59' });
  const s = parseCron('H(0-59) H(0-23) H(1-31) H(1-12) H(0-7)');
  t.is(s.lines.length, 1);
});

test('vector 12: */5 floor and ceil, partial and whole minutes; impossible-date searches terminate', (t) => {
  const s = parseCron('*/5 * * * *');
  t.is(previousRun(s, at('2025-03-04 14:15:23'))?.toISOString(), '2025-03-04T14:15:00.000Z');
  t.is(nextRun(s, at('2025-03-04 14:15:23'))?.toISOString(), '2025-03-04T14:20:00.000Z');
  t.is(previousRun(s, at('2025-03-04 14:15:00'))?.toISOString(), '2025-03-04T14:15:00.000Z');
  t.is(nextRun(s, at('2025-03-04 14:15:00'))?.toISOString(), '2025-03-04T14:15:00.000Z');
  // SECURITY-790 / SECURITY-1193: these looped forever in old Jenkins.
  t.is(floor(parseCron('0 0 31 7 *'), '2025-03-04 14:15'), '2024-07-31 00:00');
  t.is(ceil(parseCron('0 0 31 * *'), '2025-03-04 14:15'), '2025-03-31 00:00');
  t.is(ceil(parseCron('0 0 31 * *'), '2025-04-01 00:00'), '2025-05-31 00:00');
});

test('every alias expands to its Jenkins line and draws from the same hash stream', (t) => {
  t.deepEqual(CRON_ALIASES, {
    '@yearly': 'H H H H *',
    '@annually': 'H H H H *',
    '@monthly': 'H H H * *',
    '@weekly': 'H H * * H',
    '@daily': 'H H * * *',
    '@midnight': 'H H(0-2) * * *',
    '@hourly': 'H * * * *',
  });
  for (const [alias, expansion] of Object.entries(CRON_ALIASES)) {
    for (const seed of [undefined, 'stuff', 'folder/job']) {
      const viaAlias = parseCron(alias, { seed }).lines[0];
      const direct = parseCron(expansion, { seed }).lines[0];
      t.is(viaAlias?.text, alias);
      t.is(viaAlias?.expanded, expansion);
      for (const k of ['minutes', 'hours', 'daysOfMonth', 'months', 'daysOfWeek'] as const) {
        t.deepEqual(viaAlias?.[k], direct?.[k], `${alias} ${k} seed=${seed}`);
      }
    }
  }
  // Without a seed (Hash.zero) every H is its lower bound.
  const zero = (alias: string) => parseCron(alias).lines[0];
  t.deepEqual([zero('@yearly')?.minutes, zero('@yearly')?.hours, zero('@yearly')?.daysOfMonth, zero('@yearly')?.months], [[0], [0], [1], [1]]);
  t.deepEqual(zero('@weekly')?.daysOfWeek, [0]);
  t.deepEqual(zero('@midnight')?.hours, [0]);
  t.is(zero('@hourly')?.hours.length, 24);
  // Seeded: stuff → minute 56, hour 15 (second draw), day 1 + nextInt(28) (third draw) = 2.
  const y = parseCron('@annually', { seed: 'stuff' }).lines[0];
  t.deepEqual([y?.minutes, y?.hours, y?.daysOfMonth], [[56], [15], [2]]);
  t.deepEqual(parseCron('@midnight', { seed: 'junk' }).lines[0]?.hours.length, 1);
  t.true((parseCron('@midnight', { seed: 'junk' }).lines[0]?.hours[0] ?? 9) <= 2);
  // The rest of an alias line is never parsed (the grammar stops after the keyword).
  t.is(parseCron('@daily whatever 99').lines[0]?.expanded, 'H H * * *');
  t.is(ceil(parseCron('@daily'), '2026-05-05 00:01'), '2026-05-06 00:00');
  t.is(ceil(parseCron('@monthly'), '2026-05-05 00:01'), '2026-06-01 00:00');
  t.is(ceil(parseCron('@yearly'), '2026-05-05 00:01'), '2027-01-01 00:00');
  t.is(ceil(parseCron('@weekly'), '2026-05-05 00:01'), '2026-05-10 00:00'); // the next Sunday
});

test('fields: terms, ranges, steps, lists and the full-field star', (t) => {
  const l = parseCron('1,15,30-40/2 */6 1-31/10 */5 1-5').lines[0];
  t.deepEqual(l?.minutes, [1, 15, 30, 32, 34, 36, 38, 40]);
  t.deepEqual(l?.hours, [0, 6, 12, 18]);
  t.deepEqual(l?.daysOfMonth, [1, 11, 21, 31]);
  t.deepEqual(l?.months, [1, 6, 11]);
  t.deepEqual(l?.daysOfWeek, [1, 2, 3, 4, 5]);
  t.deepEqual(parseCron('*/15 * * * *').lines[0]?.minutes, [0, 15, 30, 45]);
  t.deepEqual(parseCron('* * * * 5-7').lines[0]?.daysOfWeek, [0, 5, 6]);
  t.deepEqual(parseCron('H/1 * * * *', { seed: 'stuff' }).lines[0]?.minutes, [56], 'H/1 is a single H');
  t.deepEqual(parseCron('H * H * H').lines[0]?.daysOfMonth, [1], 'H days are within 1-28');
  t.is(parseCron('0\t0 *  * *').lines.length, 1, 'tabs and runs of blanks separate fields');
});

test('multi-line specs: union of lines; blank and # lines ignored; line numbers kept', (t) => {
  const s = parseCron('# nightly\n\n0 2 * * *\r\n   \n30 14 * * 1-5\n#0 3 * * *');
  t.deepEqual(s.lines.map((l) => [l.line, l.text]), [
    [3, '0 2 * * *'],
    [5, '30 14 * * 1-5'],
  ]);
  t.true(matches(s, at('2026-05-05 02:00')));
  t.true(matches(s, at('2026-05-05 14:30')));
  t.false(matches(s, at('2026-05-09 14:30')), 'Saturday');
  t.false(matches(s, at('2026-05-05 03:00')), 'commented out');
  t.is(ceil(s, '2026-05-08 14:31'), '2026-05-09 02:00');
  t.is(floor(s, '2026-05-05 14:29'), '2026-05-05 02:00');
});

test('an empty spec schedules nothing', (t) => {
  for (const spec of ['', '\n\n', '# only a comment', 'TZ=Europe/Berlin']) {
    const s = parseCron(spec);
    t.deepEqual(s.lines, [], JSON.stringify(spec));
    t.false(matches(s, new Date()));
    t.is(nextRun(s, new Date()), null);
    t.is(previousRun(s, new Date()), null);
  }
});

test('matches looks at the whole minute containing the instant', (t) => {
  const s = parseCron('15 14 * * *');
  t.true(matches(s, at('2025-03-04 14:15')));
  t.true(matches(s, at('2025-03-04 14:15:59.999')));
  t.false(matches(s, at('2025-03-04 14:16')));
  t.false(matches(s, at('2025-03-04 14:14:59.999')));
});
