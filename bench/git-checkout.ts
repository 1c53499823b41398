/**
 * Issue 12's git number: on a repository of 10,000 files and 2,000 commits, a second build's
 * checkout (a fetch into the reused clone, the checkout, the change set) takes ≤ 1 s. Runs the
 * agent's own checkout (worker/src/scm/git-checkout.ts) against the real `git http-backend`
 * (test/helpers/git-server.ts); the repository is made with `git fast-import`. Part of `npm run
 * bench`; alone: `node bench/git-checkout.ts` (BENCH_GIT_FILES, BENCH_GIT_COMMITS, BENCH_GIT_RUNS).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitScm, type ScmHistory } from '../shared/src/scm.ts';
import { checkout } from '../worker/src/scm/git-checkout.ts';
import { startGitServer } from '../test/helpers/git-server.ts';
import { check, f, type Check } from './report.ts';
import { round, summarize } from './stats.ts';

export interface GitCheckoutNumbers {
  files: number;
  commits: number;
  firstCloneMs: number;
  /** A second build after one pushed commit: fetch, checkout, change set (each run). */
  secondBuildMs: number[];
  secondBuildP50Ms: number;
  /** A build with nothing new. */
  unchangedMs: number;

  changesListed: number;
}

/** A commit stream for `git fast-import`: `files` files in the first commit, then small edits. */
function fastImportStream(files: number, commits: number): string {
  const out: string[] = [];
  let mark = 0;
  const at = (i: number) => `Bench <bench@example.org> ${1_700_000_000 + i} +0000`;
  for (let c = 0; c < commits; c++) {
    const msg = c === 0 ? 'Initial import' : `Change ${c}`;
    out.push(`commit refs/heads/main\nmark :${++mark}\nauthor ${at(c)}\ncommitter ${at(c)}\ndata ${Buffer.byteLength(msg)}\n${msg}\n`);
    if (c > 0) out.push(`from :${mark - 1}\n`);
    const touched = c === 0 ? Array.from({ length: files }, (_, i) => i) : [c % files, (c * 7919) % files, (c * 104729) % files];
    for (const i of touched) {
      const body = `file ${i}, version ${c}\n${'x'.repeat(64)}\n`;
      out.push(`M 100644 inline src/d${i % 100}/f${i}.txt\ndata ${Buffer.byteLength(body)}\n${body}`);
    }
    out.push('\n');
  }
  return out.join('');
}

function run(cmd: string, args: string[], cwd: string, input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'], env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
    let err = '';
    child.stderr!.on('data', (c) => (err += c));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${code} ${err}`))));
    if (input !== undefined) child.stdin!.end(input);
  });
}

export async function measureGitCheckout(log: (m: string) => void, o = { files: 10_000, commits: 2_000, runs: 5 }): Promise<{ numbers: GitCheckoutNumbers; checks: Check[]; rows: [string, string][] }> {
  const server = await startGitServer();
  const base = await mkdtemp(join(tmpdir(), 'jk-bench-git-'));
  try {
    log(`git: a repository of ${o.files} files and ${o.commits} commits (fast-import)`);
    const repo = await server.repo('bench');
    await run('git', ['fast-import', '--quiet'], repo.bare, fastImportStream(o.files, o.commits));
    const workspace = join(base, 'ws');
    const once = async (history: ScmHistory) => {
      const from = performance.now();
      const r = await checkout({
        scm: GitScm.parse({ type: 'git', url: `${server.url}bench.git` }),
        credential: undefined, history, workspace, tmpDir: join(base, 'tmp'), env: {}, path: process.env.PATH!,
        hostKeys: { verification: 'off' }, say: () => {}, output: () => {}, signal: new AbortController().signal,
      });
      return { ms: performance.now() - from, report: r.report };
    };
    const first = await once([]);
    log(`git: first build (clone) ${Math.round(first.ms)} ms`);
    const unchanged = await once([{ branch: 'origin/main', commit: first.report.commit, successfulCommit: first.report.commit }]);
    // Each second build: one new commit pushed (through a work clone of the bare repository).
    await run('git', ['clone', '-q', repo.bare, repo.work + '-clone'], base);
    let previous = first.report.commit;
    const seconds: number[] = [];
    let listed = 0;
    for (let i = 0; i < o.runs; i++) {
      const work = `${repo.work}-clone`;
      await run('git', ['-c', 'user.name=Bench', '-c', 'user.email=b@example.org', 'commit', '-q', '--allow-empty', '-m', `push ${i}`], work);
      await run('git', ['push', '-q', 'origin', 'HEAD:main'], work);
      const second = await once([{ branch: 'origin/main', commit: previous, successfulCommit: previous }]);
      seconds.push(round(second.ms));
      listed = second.report.changes.length;
      previous = second.report.commit;
    }
    const p50 = summarize(seconds).p50;
    log(`git: second builds ${seconds.map((s) => `${Math.round(s)} ms`).join(', ')}`);
    const numbers: GitCheckoutNumbers = { files: o.files, commits: o.commits, firstCloneMs: round(first.ms), secondBuildMs: seconds, secondBuildP50Ms: p50, unchangedMs: round(unchanged.ms), changesListed: listed };
    return {
      numbers,
      checks: [check(`git: second build's checkout (${o.files} files, ${o.commits} commits), p50 of ${o.runs}`, p50, 'ms', 'max', 1000)],
      rows: [
        ['first build (git init + fetch of everything + checkout)', `${f(numbers.firstCloneMs)} ms`],
        ['second build, one new commit (fetch into the clone, checkout, change set)', `${seconds.map((s) => `${f(s)} ms`).join(', ')} (p50 ${f(p50)} ms; ${listed} change listed)`],
        ['a build with nothing new, right after the clone', `${f(numbers.unchangedMs)} ms (git re-reads the files the clone wrote within the same second as its index: "racy git")`],
      ],
    };
  } finally {
    await server.close();
    await rm(base, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
  const { numbers, checks, rows } = await measureGitCheckout((m) => console.error(`bench: ${m}`), { files: num('BENCH_GIT_FILES', 10_000), commits: num('BENCH_GIT_COMMITS', 2_000), runs: num('BENCH_GIT_RUNS', 5) });
  const { renderTable } = await import('./report.ts');
  console.log(renderTable([{ title: `6. Git checkout: ${numbers.files} files, ${numbers.commits} commits, over git http-backend`, rows }], checks));
  console.log(JSON.stringify({ git: numbers, targets: checks }, null, 2));
}
