import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJonkkins } from '../helpers/processes.ts';

test('jonkkins --help lists the commands and exits 0', async (t) => {
  const r = await runJonkkins(['--help']);
  t.is(r.code, 0);
  for (const command of ['start', 'master', 'agent', 'migrate']) t.regex(r.stdout, new RegExp(`^  ${command} `, 'm'));
});

for (const command of ['start', 'master', 'agent', 'migrate']) {
  test(`jonkkins ${command} --help explains the command and exits 0`, async (t) => {
    const r = await runJonkkins([command, '--help']);
    t.is(r.code, 0);
    t.regex(r.stdout, new RegExp(`^Usage: jonkkins ${command}`));
  });
}

const usageErrors: [string[], RegExp][] = [
  [['frobnicate'], /^jonkkins: unknown command "frobnicate" \(see "jonkkins --help"\)\n$/],
  [['master', '--port', '9'], /^jonkkins: Unknown option '--port'.*\(see "jonkkins master --help"\)\n$/],
  [['start', '--executors', '0'], /^jonkkins: --executors must be a whole number from 1 to 64, got "0"\n$/],
  [['agent', '--name', 'a', '--secret', 's'], /^jonkkins: --url is required/],
  [['agent', '--url', 'ftp://x', '--name', 'a', '--secret', 's'], /^jonkkins: --url must be an http\(s\) URL/],
  [['agent', '--url', 'http://127.0.0.1:1', '--secret', 's'], /^jonkkins: --name is required/],
  [['agent', '--url', 'http://127.0.0.1:1', '--name', 'a'], /^jonkkins: --secret-stdin, --secret-file or --secret is required/],
];
for (const [args, message] of usageErrors) {
  test(`jonkkins ${args.join(' ')} → one-line usage error, exit 2`, async (t) => {
    const r = await runJonkkins(args);
    t.is(r.code, 2);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1);
  });
}

test('an invalid environment variable stops start-up with exit 78 naming it', async (t) => {
  const r = await runJonkkins(['master'], { PORT: 'http' });
  t.is(r.code, 78);
  t.regex(r.stderr, /^jonkkins: Invalid configuration: PORT="http": must be a port number/);
});

test('an agent with an unknown JONKKINS_CONTAINER_CLI stops with exit 78 naming it and the choices', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jk-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'secret'), 'not-used\n');
  const r = await runJonkkins(['agent', '--url', 'http://127.0.0.1:1', '--name', 'a', '--secret-file', join(dir, 'secret')], { JONKKINS_CONTAINER_CLI: 'kubectl' });
  t.is(r.code, 78);
  t.regex(r.stderr, /^jonkkins: Invalid configuration: JONKKINS_CONTAINER_CLI must be one of auto, docker, podman, none, got "kubectl"\n$/);
});
