import test from 'ava';
import { CronScheduler } from '../../master/src/triggers/cron-scheduler.ts';
import { createLogger } from '../../master/src/log.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

const preview = (spec: string, job: string | undefined, at: string) =>
  call(m.url, 'GET', `/api/cron/preview?spec=${encodeURIComponent(spec)}${job ? `&job=${job}` : ''}&at=${at}`, { token: admin });

test('the preview says when a spec would last have run and will next run (Jenkins hash of the job name)', async (t) => {
  const res = await preview('H 17 * * *', 'stuff', '2013-03-21T16:21:00Z');
  t.is(res.status, 200);
  t.like(res.body, { previous: '2013-03-20T17:56:00.000Z', next: '2013-03-21T17:56:00.000Z', timeZone: 'UTC' });
  t.like((await preview('@hourly', 'junk', '2013-03-21T16:21:00Z')).body, { next: '2013-03-21T17:20:00.000Z' });
  t.like((await preview('*/15 * * * *', undefined, '2013-03-21T16:21:00Z')).body, { warnings: ['Spread load evenly by using ‘H/15 * * * *’ rather than ‘*/15 * * * *’'] });
});

test('an invalid spec is a 400 with Jenkins’ message and position', async (t) => {
  const res = await preview('H H(12-24) * * *', 'x', '2013-03-21T16:21:00Z');
  t.is(res.status, 400);
  t.is(res.body.error.message, 'line 1:10: 24 is an invalid value. Must be within 0 and 23');
  const job = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'bad-cron', triggers: { cron: 'H(0-3)/15 * * * *' } } });
  t.is(job.status, 400);
  t.like(job.body.error.details[0], { field: 'triggers.cron' });
  t.regex(job.body.error.details[0].message, /line 1:9: 15 is an invalid value\. Must be within 1 and 4/);
});

test('a tick fires each matching job once, however many masters run it; defaults are used; disabled jobs wait', async (t) => {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'nightly', concurrentBuild: true, triggers: { cron: '*/5 * * * *' }, parameters: [{ type: 'string', name: 'MODE', default: 'full' }] } });
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'paused', disabled: true, triggers: { cron: '* * * * *' } } });
  const log = createLogger('silent');
  const [a, b] = [new CronScheduler({ pool: m.pool, builds: m.services.builds, log }), new CronScheduler({ pool: m.pool, builds: m.services.builds, log })];
  const minute = new Date('2030-01-01T00:05:00Z');
  const fired = await Promise.all([a.tick(minute), b.tick(minute), a.tick(minute)]);
  t.is(fired.reduce((x, y) => x + y, 0), 1);
  t.is(await a.tick(new Date('2030-01-01T00:06:00Z')), 0, 'not a matching minute');
  // A tick fires every job of the master; the other tests' cron specs never match these minutes.
  const queue = (await call(m.url, 'GET', '/api/queue', { token: admin })).body.items.filter((i: { job: string }) => i.job === 'nightly' || i.job === 'paused');
  t.is(queue.length, 1);
  t.like(queue[0], { job: 'nightly', causes: ['Started by timer'], parameters: { MODE: 'full' } });
  t.is(await b.tick(new Date('2030-01-01T00:10:00Z')), 1, 'the next matching minute fires again');
});

test('a timer trigger ignores the job’s quiet period (Jenkins schedules it with quiet period 0)', async (t) => {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'quiet-nightly', quietPeriod: 600, triggers: { cron: '1 3 * * *' } } });
  const scheduler = new CronScheduler({ pool: m.pool, builds: m.services.builds, log: createLogger('silent') });
  t.is(await scheduler.tick(new Date('2030-01-02T03:01:00Z')), 1);
  const item = (await call(m.url, 'GET', '/api/queue', { token: admin })).body.items.find((i: { job: string }) => i.job === 'quiet-nightly');
  t.notRegex(item.why, /quiet period/);
  t.is((await call(m.url, 'DELETE', `/api/queue/${item.id}`, { token: admin })).status, 204);
});
