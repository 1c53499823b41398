// Jenkins cron's H: hudson.scheduler.Hash (MD5 → Java long → java.util.Random), emulated bit for bit.
// Every expected number here was printed by OpenJDK 17's java.util.Random / MessageDigest.
import test from 'ava';
import { JavaRandom, ZERO_HASH, hashFromSeed, hashSeedLong, parseCron } from '../../shared/src/cron.ts';

test('java.util.Random.nextInt(bound) and nextInt()', (t) => {
  const r42 = new JavaRandom(42);
  t.deepEqual([r42.nextInt(10), r42.nextInt(10), r42.nextInt(10)], [0, 3, 8]);
  t.is(r42.nextIntUnbounded(), 205897768);
  t.is(r42.nextInt(1 << 20), 323715, 'power-of-two bound');
  t.is(r42.nextInt(1000000007), 595021505);
  t.is(new JavaRandom(42).nextIntUnbounded(), -1170105035);
  const r0 = new JavaRandom(0);
  t.deepEqual([r0.nextInt(100), r0.nextInt(100), r0.nextInt(7)], [60, 48, 4]);
  const rm1 = new JavaRandom(-1n);
  t.deepEqual([rm1.nextInt(60), rm1.nextInt(0x7fffffff), rm1.nextInt(1 << 30)], [53, 943952225, 13174789]);
  const rmin = new JavaRandom(-(1n << 63n));
  t.deepEqual([rmin.nextInt(60), rmin.nextInt(3)], [0, 1]);
  // A bound just over 2^30 makes Random reject about half of its draws and redraw.
  const r7 = new JavaRandom(7);
  const draws = Array.from({ length: 8 }, () => r7.nextInt((1 << 30) + 1));
  t.deepEqual(draws, [20678044, 747989380, 1053566254, 755731200, 259278708, 542588911, 178712961, 234738279]);
  t.throws(() => new JavaRandom(1).nextInt(0), { instanceOf: RangeError });
});

test('Hash.from: MD5 folded into a big-endian signed long', (t) => {
  t.is(hashSeedLong('stuff'), 2004155035988854569n);
  t.is(hashSeedLong('junk'), 557666253560616158n);
  t.is(hashSeedLong('seed'), 2861380906562215379n);
  t.is(hashSeedLong('folder/job'), -3196663919987920965n);
  t.is(hashSeedLong('ünïcødé'), 3149640446867367790n, 'UTF-8 bytes');
  t.is(hashSeedLong(''), 4439851323553804410n);
});

test('Hash.from streams: stuff → 56, junk → 20, seed → 35 then 56', (t) => {
  const draws = (seed: string, bounds: number[]) => {
    const h = hashFromSeed(seed);
    return bounds.map((n) => h.next(n));
  };
  t.deepEqual(draws('stuff', [60, 24, 28]), [56, 15, 1]);
  t.deepEqual(draws('junk', [60, 24, 28]), [20, 10, 16]);
  t.deepEqual(draws('seed', [60, 60]), [35, 56]);
  t.deepEqual(draws('folder/job', [60, 24, 28]), [16, 15, 24]);
  t.is(hashFromSeed('stuff').next(15), 11, 'H/15 offset for stuff');
  t.deepEqual([ZERO_HASH.next(60), ZERO_HASH.next(7)], [0, 0]);
});

test('H in a spec: one stream in parse order, across lines; no seed → lower bounds', (t) => {
  t.deepEqual(parseCron('H * * * *', { seed: 'stuff' }).lines[0]?.minutes, [56]);
  t.deepEqual(parseCron('H * * * *', { seed: 'junk' }).lines[0]?.minutes, [20]);
  const two = parseCron('H * * * *\n\n# x\nH * * * *', { seed: 'seed' });
  t.deepEqual(two.lines.map((l) => l.minutes), [[35], [56]]);
  // Left to right within a line: minute, then hour, then day (1 + nextInt(28)).
  const l = parseCron('H H H * *', { seed: 'stuff' }).lines[0];
  t.deepEqual([l?.minutes, l?.hours, l?.daysOfMonth], [[56], [15], [2]]);
  // The same seed always gives the same schedule; another seed usually differs.
  t.deepEqual(parseCron('H H * * *', { seed: 'a/b' }).lines, parseCron('H H * * *', { seed: 'a/b' }).lines);
  const none = parseCron('H H(3-5) H H(6-9)/2 H(2-4)').lines[0];
  t.deepEqual([none?.minutes, none?.hours, none?.daysOfMonth, none?.months, none?.daysOfWeek], [[0], [3], [1], [6, 8], [2]]);
  // An alias continues the stream of the lines before it.
  t.deepEqual(parseCron('H * * * *\n@hourly', { seed: 'seed' }).lines.map((x) => x.minutes), [[35], [56]]);
});
