import { once } from 'node:events';
import test from 'ava';
import { openOutputPair } from '../../worker/src/steps/output-socket.ts';

const readAll = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  await once(s, 'end');
  return Buffer.concat(chunks).toString();
};

test('pairs opened at the same time are each connected to their own other end', async (t) => {
  const pairs = await Promise.all(Array.from({ length: 20 }, () => openOutputPair()));
  t.true(pairs.every((p) => p !== undefined), 'this is Linux: every pair is made');
  const texts = pairs.map((p, i) => {
    const text = readAll(p!.readEnd);
    p!.writeEnd.end(`pair ${i}\n`);
    return text;
  });
  t.deepEqual(await Promise.all(texts), pairs.map((_, i) => `pair ${i}\n`));
});
