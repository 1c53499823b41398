/**
 * Poll SCM (Jenkins' SCMTrigger with the git plugin): every minute, the jobs whose `pollScm`
 * schedule matches are polled — one `git ls-remote` per repository (and credential), however many
 * jobs watch it — and a job whose watched branches moved since its last poll gets one build,
 * cause "Started by an SCM change". A tick is claimed per job in scm_polls, so several masters
 * poll it once. Each poll's log is kept (the "Git Polling Log"). notifyCommit and the forges'
 * pushes call `pollNow` or `buildPushed`.
 */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { Cause } from '../../../shared/src/build.ts';
import { matches, parseCron, type CronSchedule } from '../../../shared/src/cron.ts';
import type { CredentialSecret } from '../../../shared/src/credentials.ts';
import { StoredJobDocument, type Job } from '../../../shared/src/job.ts';
import type { BuildsService } from '../builds/builds.ts';
import { DomainError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { MinuteTimer } from '../triggers/minute-timer.ts';
import { specMatchesRef, watchedHeads } from './branch-spec.ts';
import { lsRemote } from './git-ls-remote.ts';
import { repositoryKey } from './repo-url.ts';
import type { Heads, ScmPolls } from './scm-polls.ts';


// Row schemas are built once: zod compiles each new schema on its first parse.
const IdConfigNextBuildNumberRow = z.object({ id: z.coerce.number(), config: z.unknown(), next_build_number: z.number() });
/** ls-remote runs at once at most; a tick of 500 repositories takes 500 / 4 round trips. */
const PARALLEL_REMOTES = 4;

/** A job with a git scm, as polling and pushes need it. */
export interface ScmJob {
  id: number;
  job: Job & { scm: NonNullable<Job['scm']> };
  /** It has been built before (a first poll without a baseline builds only a job that never was). */
  built: boolean;
}

export type CredentialLookup = (credentialsId: string, jobName: string | null) => Promise<CredentialSecret>;

export class ScmPolling {
  readonly #pool: DatabasePool;
  readonly #builds: BuildsService;
  readonly #polls: ScmPolls;
  readonly #credentials: CredentialLookup;
  readonly #git: string;
  readonly #allowLocal: boolean;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #schedules = new Map<string, CronSchedule>();
  readonly #timer: MinuteTimer;

  constructor(deps: { pool: DatabasePool; builds: BuildsService; polls: ScmPolls; credentials: CredentialLookup; git: string; allowLocal: boolean; log: Logger; now?: () => number }) {
    this.#pool = deps.pool;
    this.#builds = deps.builds;
    this.#polls = deps.polls;
    this.#credentials = deps.credentials;
    this.#git = deps.git;
    this.#allowLocal = deps.allowLocal;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
    this.#timer = new MinuteTimer(this.#now, (minute) => this.tick(new Date(minute)).catch((err) => this.#log.warn({ err: (err as Error).message }, 'SCM poll tick failed')));
  }

  /** Polls at the start of every minute from now on. */
  start(): void {
    this.#timer.start();
  }

  stop(): Promise<void> {
    return this.#timer.stop();
  }

  /** Polls every job whose schedule matches `minute` and that this master claims; answers the builds queued. */
  async tick(minute: Date): Promise<number> {
    const due = (await this.scmJobs()).filter(({ job }) => job.triggers.pollScm && this.#matches(job.name, job.triggers.pollScm, minute));
    const claimed = await this.#polls.claim(
      due.map((j) => j.id),
      minute,
    );
    return this.poll(due.filter((j) => claimed.has(j.id)));
  }

  /** Every enabled job with a git scm (the ones a push or a poll may concern). */
  async scmJobs(): Promise<ScmJob[]> {
    const rows = await this.#pool.any(sql.type(IdConfigNextBuildNumberRow)`
      SELECT id, config, next_build_number FROM jobs WHERE jsonb_typeof(config -> 'scm') = 'object'`);
    return rows.flatMap((r) => {
      const job = StoredJobDocument.parse(r.config);
      return job.scm && !job.disabled ? [{ id: r.id, job: job as ScmJob['job'], built: r.next_build_number > 1 }] : [];
    });
  }

  /** Polls `jobs` now: one ls-remote per repository and credential; answers the builds queued. */
  async poll(jobs: readonly ScmJob[]): Promise<number> {
    const byRemote = new Map<string, ScmJob[]>();
    for (const j of jobs) {
      const key = `${repositoryKey(j.job.scm.url)}\n${j.job.scm.credentialsId ?? ''}`;
      byRemote.set(key, [...(byRemote.get(key) ?? []), j]);
    }
    const previous = await this.#polls.heads(jobs.map((j) => j.id));
    const groups = [...byRemote.values()];
    let queued = 0;
    const worker = async () => {
      for (let group = groups.shift(); group; group = groups.shift()) {
        const n = await this.#pollRemote(group, previous);
        queued += n;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_REMOTES, groups.length) }, worker));
    return queued;
  }

  async #pollRemote(group: ScmJob[], previous: Map<number, Heads>): Promise<number> {
    const first = group[0]!;
    const started = this.#now();
    const url = first.job.scm.url;
    let remote: Map<string, string>;
    try {
      const credential = first.job.scm.credentialsId ? await this.#credentials(first.job.scm.credentialsId, first.job.name) : null;
      remote = await lsRemote(url, { git: this.#git, credential, allowLocal: this.#allowLocal });
    } catch (err) {
      const message = (err as Error).message;
      this.#log.warn({ url, err: message }, 'SCM poll failed');
      for (const j of group) await this.#polls.record(j.id, previous.get(j.id) ?? {}, `${header(started)}ERROR: Could not poll ${url}: ${message}\nDone. Took ${this.#took(started)}\nNo changes\n`);
      return 0;
    }
    let queued = 0;
    for (const j of group) {
      const seen = watchedHeads(j.job.scm.branches, remote);
      const before = previous.get(j.id);
      const lines = [header(started), `Using strategy: Default\n`, ` > git ls-remote --heads --tags -- ${url} # timeout=30\n`, `Found ${remote.size} remote heads on ${url}\n`];
      for (const [ref, sha] of seen) lines.push(`[poll] Latest remote head revision on ${ref} is: ${sha}${before?.[ref] === sha ? ' - already built' : ''}\n`);
      let cause: Cause | null = null;
      if (before === undefined && !j.built) {
        const [ref, sha] = [...seen][0] ?? [];
        if (ref && sha) {
          lines.push('[poll] No existing build. Scheduling a new one.\n');
          cause = { kind: 'scm', ref, sha };
        }
      } else if (before !== undefined) {
        const moved = [...seen].find(([ref, sha]) => before[ref] !== sha);
        if (moved) cause = { kind: 'scm', ref: moved[0], sha: moved[1] };
      }
      if (seen.size === 0) lines.push(`[poll] No branch of ${url} matches ${j.job.scm.branches.join(', ')}\n`);
      lines.push(`Done. Took ${this.#took(started)}\n`, cause ? 'Changes found\n' : 'No changes\n');
      const heads = Object.fromEntries(seen);
      if (!cause) {
        await this.#polls.record(j.id, heads, lines.join(''));
        continue;
      }
      // The change is this poll's only if the recorded heads are still the ones it compared with
      // (another master's poll, a notifyCommit or a push may have taken it meanwhile).
      if (!(await this.#polls.advance(j.id, before, heads))) {
        lines.push('Another poll or push took this change already\n');
      } else if (await this.#queue(j, cause)) {
        queued++;
      } else {
        // Refused (disabled meanwhile, a bad parameter default): the change stays unseen, for the next poll.
        lines.push('The build was refused; the next poll tries again\n');
        await this.#polls.advance(j.id, heads, before ?? {});
      }
      await this.#polls.writeLog(j.id, lines.join(''));
    }
    return queued;
  }

  /**
   * A forge told of a push of `sha` to `ref` (a webhook, notifyCommit with sha1): each of `jobs`
   * whose branches name `ref` is built once, and the next poll counts the push as seen.
   * Answers the jobs queued.
   */
  async buildPushed(jobs: readonly ScmJob[], ref: string | null, sha: string, cause: Cause): Promise<ScmJob[]> {
    const built: ScmJob[] = [];
    for (const j of jobs) {
      if (ref !== null && !j.job.scm.branches.some((b) => specMatchesRef(b, ref))) continue;
      if (!(await this.#queue(j, cause))) continue;
      if (ref !== null) await this.#polls.sawHead(this.#pool, j.id, ref, sha);
      built.push(j);
    }
    return built;
  }

  /** The last polling log of a job (null before its first poll). */
  pollingLog(jobId: number) {
    return this.#polls.log(jobId);
  }

  async #queue(j: ScmJob, cause: Cause): Promise<boolean> {
    try {
      await this.#builds.trigger(j.job.name, {}, cause);
      return true;
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      this.#log.warn({ job: j.job.name, err: err.message }, 'SCM trigger refused');
      return false;
    }
  }

  #matches(name: string, spec: string, minute: Date): boolean {
    const key = `${name}\n${spec}`;
    let s = this.#schedules.get(key);
    try {
      s ??= parseCron(spec, { seed: name });
    } catch {
      return false;
    }
    if (this.#schedules.size > 10_000) this.#schedules.clear();
    this.#schedules.set(key, s);
    return matches(s, minute);
  }

  #took(started: number): string {
    return `${((this.#now() - started) / 1000).toFixed(2)} sec`;
  }
}

function header(started: number): string {
  return `Started on ${new Date(started).toISOString()}\n`;
}
