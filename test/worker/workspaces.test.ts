import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Workspaces } from '../../worker/src/workspaces.ts';

const root = async () => join(await mkdtemp(join(tmpdir(), 'jk-ws-')), 'workspace');

test('a job gets its workspace, created; a concurrent build of it gets job@2, then job@3', async (t) => {
  const dir = await root();
  const ws = new Workspaces(dir);
  const a = await ws.acquire('job');
  const b = await ws.acquire('job');
  const c = await ws.acquire('job');
  t.is(a.path, join(dir, 'job'));
  t.is(b.path, join(dir, 'job@2'));
  t.is(c.path, join(dir, 'job@3'));
  for (const l of [a, b, c]) t.true((await stat(l.path)).isDirectory());
  const other = await ws.acquire('other job');
  t.is(other.path, join(dir, 'other job'));
});

test('a released workspace is reused, the lowest free first', async (t) => {
  const dir = await root();
  const ws = new Workspaces(dir);
  const a = await ws.acquire('job');
  const b = await ws.acquire('job');
  a.release();
  a.release(); // twice is harmless
  const c = await ws.acquire('job');
  t.is(c.path, join(dir, 'job'));
  const d = await ws.acquire('job');
  t.is(d.path, join(dir, 'job@3'));
  b.release();
  t.is((await ws.acquire('job')).path, join(dir, 'job@2'));
});

test('concurrent acquisitions never share a workspace', async (t) => {
  const ws = new Workspaces(await root());
  const leases = await Promise.all(Array.from({ length: 5 }, () => ws.acquire('job')));
  t.is(new Set(leases.map((l) => l.path)).size, 5);
});

test('a job name that is not one path component is refused', async (t) => {
  const ws = new Workspaces(await root());
  for (const name of ['', '.', '..', '../etc', 'a/b', 'a\0b']) {
    await t.throwsAsync(ws.acquire(name), { message: /refusing the job name/ }, JSON.stringify(name));
  }
  t.deepEqual(ws.inUse, []);
});
