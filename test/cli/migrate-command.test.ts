import test from 'ava';
import { runJonkkins } from '../helpers/processes.ts';
import { createTestDatabase } from '../helpers/test-master.ts';

test('jonkkins migrate applies the migrations to DATABASE_URL, then reports it is up to date', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const first = await runJonkkins(['migrate'], { DATABASE_URL: db.url });
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /applied: 0001_identity\.sql, 0002_jobs_and_builds\.sql/);
  const second = await runJonkkins(['migrate'], { DATABASE_URL: db.url });
  t.is(second.code, 0);
  t.regex(second.stdout, /the database schema is up to date/);
});
