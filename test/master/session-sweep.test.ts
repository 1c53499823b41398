/**
 * The maintenance loop deletes sessions past their maximum age (sql/0012_sessions.sql), and only
 * those: the master's clock is moved past the age instead of waiting twelve hours.
 */
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { ADMIN, bootstrapAdmin, call, login } from '../helpers/http.ts';
import { countCalls } from '../helpers/count-calls.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster } from '../helpers/test-master.ts';

const MAX_AGE_SECONDS = 12 * 3600; // the test master's

test('expired sessions are swept; younger ones stay', async (t) => {
  const m = await startTestMaster({}, { maintenance: { sessionSweepEveryMs: 50 } });
  t.teardown(() => m.close());
  const sessions = () => m.pool.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id::text FROM sessions ORDER BY created_at`);
  const sweeps = countCalls(m.services.sessions, 'sweep');
  const old = await bootstrapAdmin(m.url);
  await login(m.url, ADMIN.username, ADMIN.password);
  t.is((await sessions()).length, 2);
  const before = sweeps.count;
  await until('three sweeps', () => sweeps.count >= before + 3, 10_000, 10);
  t.is((await sessions()).length, 2, 'none is old enough');

  m.clock.advance(MAX_AGE_SECONDS * 1000 - 60_000);
  const young = await login(m.url, ADMIN.username, ADMIN.password); // a minute short of the age when the others reach it
  m.clock.advance(60_000 + 1000);
  await until('the two old sessions to be swept', async () => (await sessions()).length === 1, 10_000, 10);
  t.is((await call(m.url, 'GET', '/api/whoami', { token: young })).status, 200);
  t.is((await call(m.url, 'GET', '/api/whoami', { token: old })).status, 401);
});
