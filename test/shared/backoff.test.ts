/** The one retry/backoff helper (shared/src/backoff.ts) that every agent loop waits with. */
import test from 'ava';
import { Backoff, pause, retry } from '../../shared/src/backoff.ts';

test('waits double from initialMs up to maxMs; a Retry-After asks for longer; a success starts over', (t) => {
  const b = new Backoff({ initialMs: 250, maxMs: 1000 });
  t.deepEqual([b.next(), b.next(), b.next(), b.next()], [250, 500, 1000, 1000]);
  t.is(b.next(3000), 3000, 'Retry-After wins when longer');
  t.is(b.next(10), 1000, 'and never shortens the wait');
  b.reset();
  t.is(b.next(), 250);
});

test('retry tries again while the failure is retryable, and answers the first success', async (t) => {
  const seen: number[] = [];
  const waits: number[] = [];
  const answer = await retry(
    async (n) => {
      seen.push(n);
      if (n < 4) throw new Error(`attempt ${n}`);
      return 'done';
    },
    { initialMs: 1, maxMs: 4, retryable: () => true, onRetry: (_err, wait) => waits.push(wait) },
  );
  t.is(answer, 'done');
  t.deepEqual(seen, [1, 2, 3, 4]);
  t.deepEqual(waits, [1, 2, 4]);
});

test('retry throws the first failure retryable refuses, with the attempt number it was', async (t) => {
  const attempts: number[] = [];
  const err = await t.throwsAsync(
    retry(async (n) => {
      throw new Error(`attempt ${n}`);
    }, { initialMs: 1, maxMs: 1, retryable: (_err, n) => (attempts.push(n), n < 3) }),
  );
  t.is(err?.message, 'attempt 3');
  t.deepEqual(attempts, [1, 2, 3]);
});

test('an abort cuts a wait short, and pause never rejects', async (t) => {
  const abort = new AbortController();
  const started = Date.now();
  const attempts: number[] = [];
  const running = retry(
    async (n) => {
      attempts.push(n);
      throw new Error('down');
    },
    { initialMs: 60_000, maxMs: 60_000, signal: abort.signal, retryable: () => !abort.signal.aborted, onRetry: () => queueMicrotask(() => abort.abort()) },
  );
  await t.throwsAsync(running, { message: 'down' });
  t.deepEqual(attempts, [1, 2], 'the attempt after the cut-short wait was made, and refused');
  t.true(Date.now() - started < 5000);
  await t.notThrowsAsync(pause(60_000, abort.signal));
});
