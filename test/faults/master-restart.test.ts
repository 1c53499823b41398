/**
 * Fault: the master restarts in the middle of a build (issue 3: nothing lost, designed in, tested
 * with real processes). The agent process keeps the build running, buffers its console while the
 * master is away, and once a new master answers on the same port (same database, Redis and signing
 * key) the console is complete byte for byte and the result recorded.
 */
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { Fleet, builds } from '../helpers/fleet.ts';
import { bootstrapAdmin } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster } from '../helpers/test-master.ts';

const LINES = 2000;
// 2000 numbered lines over about 3 s: a 75 ms pause every 50 lines.
const SCRIPT = `#!/bin/sh\ni=1\nwhile [ $i -le ${LINES} ]; do\n  echo "line $i"\n  if [ $((i % 50)) -eq 0 ]; then sleep 0.075; fi\n  i=$((i + 1))\ndone`;
const EXPECTED = Array.from({ length: LINES }, (_, i) => `line ${i + 1}\n`).join('');

for (const [title, restarts, downMs] of [
  ['the master restarts mid-build: the build keeps running, its console is complete byte for byte, its result recorded', [300], 1500],
  ['the master restarts twice during one build: still nothing lost, nothing twice', [200, 1200], 700],
] as const) {
  test(title, async (t) => {
    t.timeout(60_000);
    const m = await startTestMaster({}, { maintenance: { sweepEveryMs: 500, watchdogEveryMs: 500 } });
    t.teardown(() => m.close());
    const admin = await bootstrapAdmin(m.url);
    const api = builds(m, admin);
    const agent = await new Fleet(t, m, admin).agent('steady');
    await api.job('counter', { steps: [{ type: 'shell', script: SCRIPT }] });
    const id = await api.trigger('counter');
    const n = await api.numberOf(id);

    const sizes: number[] = [];
    for (const line of restarts) {
      await until(`line ${line} in the console`, async () => (await api.consoleOf('counter', n)).includes(`\nline ${line}\n`), 20_000, 20);
      await m.down();
      sizes.push(await m.pool.oneFirst(sql.type(z.object({ n: z.coerce.number() }))`SELECT log_size AS n FROM builds WHERE id = ${id}`));
      await new Promise((r) => setTimeout(r, downMs));
      await m.up();
      t.is((await api.get('counter', n)).state, 'running', 'the build was still running when the master came back');
    }

    const b = await api.finished('counter', n, 30_000);
    t.log(`master down ${restarts.length} × ${downMs} ms at console sizes ${sizes.join(', ')}; build took ${b.durationMs} ms`);
    const text = (await api.consoleOf('counter', n)).toString('utf8');
    t.is(b.result, 'SUCCESS', text);
    t.is(b.agent, 'steady');
    const head = /^Started by user admin\nRunning on steady in .*\/workspace\/counter\n\[counter\] \$ \/bin\/sh .*jonkkins\d+\.sh\n/.exec(text);
    t.truthy(head, text.slice(0, 500));
    t.is(text.slice(head?.[0].length ?? 0), `${EXPECTED}Finished: SUCCESS\n`); // every line once, in order, nothing else
    t.true(sizes.every((s) => s < text.length - 1000), `the master was down mid-build (it had ${sizes.join(', ')} of ${text.length} bytes)`);
    t.regex(agent.process.output.stdout, /cannot reach the master/, 'the agent noticed the master was gone');
    t.is(agent.process.exitCode, null);
  });
}
