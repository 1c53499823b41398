/**
 * Push notifications at Jenkins' own URLs, each as its plugin answers: the git plugin's
 * notifyCommit, the GitHub, GitLab and Gitea plugins' push hooks, and Generic Webhook Trigger.
 * Every one authenticates first (a token or a signature, compared in constant time); a refusal
 * builds nothing and is logged without the body. Routes (webhook-routes.ts) read the raw body.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Cause } from '../../../shared/src/build.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.ts';
import type { JobsService, StoredJob } from '../jobs/jobs.ts';
import type { BuildsService } from '../builds/builds.ts';
import type { Logger } from '../log.ts';
import type { CredentialLookup, ScmJob, ScmPolling } from '../scm/scm-polling.ts';
import { sameRepository } from '../scm/repo-url.ts';
import { specMatchesRef } from '../scm/branch-spec.ts';
import type { SettingsService } from '../settings/settings.ts';
import { jsonPathText, JsonPathError } from './json-path.ts';
import { hmacSha256Hex, sameSecret } from './signatures.ts';

const ZERO_SHA = /^0+$/;
const Sha = z.string().regex(/^[0-9a-f]{40,64}$/);
/** What a push event of each forge carries that matters here (the rest is ignored). */
const GitHubPush = z.object({
  ref: z.string().max(1024),
  after: Sha,
  deleted: z.boolean().optional(),
  repository: z.object({ clone_url: z.string().optional(), html_url: z.string().optional(), ssh_url: z.string().optional(), git_url: z.string().optional(), url: z.string().optional() }),
  pusher: z.object({ name: z.string().max(256) }).optional(),
  sender: z.object({ login: z.string().max(256) }).optional(),
});
const GitLabPush = z.object({
  ref: z.string().max(1024),
  after: Sha,
  checkout_sha: Sha.nullable().optional(),
  user_name: z.string().max(256).optional(),
  user_username: z.string().max(256).optional(),
  project: z.object({ git_http_url: z.string().optional(), git_ssh_url: z.string().optional(), web_url: z.string().optional() }).optional(),
});
const GiteaPush = z.object({
  ref: z.string().max(1024),
  after: Sha,
  repository: z.object({ clone_url: z.string().optional(), ssh_url: z.string().optional(), html_url: z.string().optional() }),
  pusher: z.object({ login: z.string().max(256).optional(), username: z.string().max(256).optional() }).optional(),
});

const parse = <T>(schema: z.ZodType<T>, payload: unknown, what: string): T => {
  const r = schema.safeParse(payload);
  if (!r.success) throw new ValidationError(`Not a ${what} payload: ${r.error.issues.map((i) => `${i.path.join('.') || '(body)'} ${i.message}`).join('; ')}`);
  return r.data;
};

/** A webhook's request as the service reads it: headers, the raw body (what is signed), the payload parsed on demand. */
export interface WebhookRequest {
  headers: (name: string) => string;
  raw: Buffer;
  payload: () => unknown;
  address: string;
}

export class WebhooksService {
  readonly #polling: ScmPolling;
  readonly #jobs: JobsService;
  readonly #builds: BuildsService;
  readonly #settings: SettingsService;
  readonly #credentials: CredentialLookup;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #log: Logger;
  #background: Promise<unknown> = Promise.resolve();

  constructor(deps: { polling: ScmPolling; jobs: JobsService; builds: BuildsService; settings: SettingsService; credentials: CredentialLookup; redis: Redis; redisPrefix: string; log: Logger }) {
    this.#polling = deps.polling;
    this.#jobs = deps.jobs;
    this.#builds = deps.builds;
    this.#settings = deps.settings;
    this.#credentials = deps.credentials;
    this.#redis = deps.redis;
    this.#prefix = deps.redisPrefix;
    this.#log = deps.log;
  }

  /** Polls started by notifyCommit, for whoever waits for them (tests, shutdown). */
  settled(): Promise<unknown> {
    return this.#background;
  }

  #refuse(source: string, address: string, err: Error): never {
    // Never the body: it may be anything, and large.
    this.#log.warn({ webhook: source, address, reason: err.message }, 'webhook refused');
    throw err;
  }

  /**
   * GET|POST /git/notifyCommit (git plugin): every job with Poll SCM whose repository is `url`
   * (and whose branches name one of `branches`, when given) is polled, or with `sha1` built.
   * Answers the plugin's lines.
   */
  async notifyCommit(q: { url?: string; branches?: string; sha1?: string; token?: string }, address: string): Promise<string> {
    const { notifyCommitAccessToken: expected } = await this.#settings.webhookSecrets();
    if (!q.token) this.#refuse('notifyCommit', address, new UnauthorizedError('An access token is required. Set one in Manage Jonkkins → Webhooks and pass it as token= (git plugin: notifyCommit access tokens).'));
    if (!expected || !sameSecret(q.token, expected)) this.#refuse('notifyCommit', address, new ForbiddenError('Invalid access token'));
    if (!q.url) throw new ValidationError('Illegal URL: url= names the repository that changed');
    if (q.sha1 !== undefined && q.sha1 !== '' && !/^[0-9a-f]{7,64}$/.test(q.sha1)) throw new ValidationError('sha1 must be a commit sha');
    const branches = (q.branches ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    const ref = (b: string) => (b.startsWith('refs/') ? b : `refs/heads/${b.replace(/^(origin|\*)\//, '')}`);
    const jobs = (await this.#polling.scmJobs()).filter(
      ({ job }) => job.triggers.pollScm !== undefined && sameRepository(job.scm.url, q.url!) && (branches.length === 0 || branches.some((b) => job.scm.branches.some((spec) => specMatchesRef(spec, ref(b))))),
    );
    if (jobs.length === 0) return `No git jobs using repository: ${q.url} and branches: ${branches.join(',')}\n`;
    if (q.sha1) {
      const pushedTo = branches.length === 1 ? ref(branches[0]!) : null;
      const built = await this.#polling.buildPushed(jobs, pushedTo, q.sha1, { kind: 'commitNotification', sha: q.sha1, ...(pushedTo ? { ref: pushedTo } : {}) });
      return built.map((j) => `Scheduled ${j.job.name}\n`).join('');
    }
    this.#background = this.#background.then(() => this.#polling.poll(jobs)).catch((err) => this.#log.warn({ err: (err as Error).message }, 'notifyCommit poll failed'));
    return jobs.map((j) => `Scheduled polling of ${j.job.name}\n`).join('');
  }

  /** POST /github-webhook/ (GitHub plugin): X-Hub-Signature-256 checked; ping → 200; push builds the githubPush jobs of that repository and branch. */
  async github(req: WebhookRequest): Promise<string> {
    const event = req.headers('x-github-event');
    await this.#verifyHmac('github', req, (await this.#settings.webhookSecrets()).githubSecretCredentialsId, req.headers('x-hub-signature-256'), 'sha256=');
    if (event === 'ping') return 'pong';
    if (event !== 'push') return `Ignored event ${event || '(none)'}`;
    const delivery = req.headers('x-github-delivery');
    if (delivery && !(await this.#firstDelivery('github', delivery))) return `Delivery ${delivery} was received before`;
    const push = parse(GitHubPush, req.payload(), 'GitHub push');
    if (push.deleted || ZERO_SHA.test(push.after)) return 'Branch deleted: nothing to build';
    const urls = Object.values(push.repository).filter((u): u is string => typeof u === 'string');
    const jobs = (await this.#polling.scmJobs()).filter(({ job }) => job.triggers.githubPush === true && urls.some((u) => sameRepository(job.scm.url, u)));
    const pusher = push.pusher?.name ?? push.sender?.login ?? 'unknown';
    const built = await this.#polling.buildPushed(jobs, push.ref, push.after, { kind: 'push', forge: 'github', pusher, ref: push.ref, sha: push.after });
    return describe(built);
  }

  /** POST /gitea-webhook/post (Gitea plugin): X-Gitea-Signature checked; a push builds the Poll SCM jobs of that repository and branch. */
  async gitea(req: WebhookRequest): Promise<string> {
    const event = req.headers('x-gitea-event');
    await this.#verifyHmac('gitea', req, (await this.#settings.webhookSecrets()).giteaSecretCredentialsId, req.headers('x-gitea-signature'), '');
    if (event !== 'push') return `Ignored event ${event || '(none)'}`;
    const delivery = req.headers('x-gitea-delivery');
    if (delivery && !(await this.#firstDelivery('gitea', delivery))) return `Delivery ${delivery} was received before`;
    const push = parse(GiteaPush, req.payload(), 'Gitea push');
    if (ZERO_SHA.test(push.after)) return 'Branch deleted: nothing to build';
    const urls = Object.values(push.repository).filter((u): u is string => typeof u === 'string');
    const jobs = (await this.#polling.scmJobs()).filter(({ job }) => job.triggers.pollScm !== undefined && urls.some((u) => sameRepository(job.scm.url, u)));
    const pusher = push.pusher?.login ?? push.pusher?.username ?? 'unknown';
    const built = await this.#polling.buildPushed(jobs, push.ref, push.after, { kind: 'push', forge: 'gitea', pusher, ref: push.ref, sha: push.after });
    return describe(built);
  }

  /** POST /project/<job> (GitLab plugin): X-Gitlab-Token must be the job's secret token; a push to a branch the job builds builds it. */
  async gitlab(jobName: string, req: WebhookRequest): Promise<string> {
    const token = req.headers('x-gitlab-token');
    let stored: StoredJob | null = null;
    try {
      stored = await this.#jobs.find(jobName);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    // An unknown job is refused as a wrong token is: the answer does not tell which jobs exist.
    if (!token) this.#refuse('gitlab', req.address, new UnauthorizedError('X-Gitlab-Token is required (the job\'s GitLab secret token)'));
    if (!stored || !this.#jobs.gitlabTokenMatches(stored, token)) this.#refuse('gitlab', req.address, new ForbiddenError('Invalid X-Gitlab-Token'));
    const event = req.headers('x-gitlab-event');
    if (event !== 'Push Hook' && event !== 'Tag Push Hook') return `Ignored event ${event || '(none)'}`;
    const push = parse(GitLabPush, req.payload(), 'GitLab push');
    const sha = push.checkout_sha ?? push.after;
    if (ZERO_SHA.test(sha)) return 'Branch deleted: nothing to build';
    const cause: Cause = { kind: 'push', forge: 'gitlab', pusher: push.user_name ?? push.user_username ?? 'unknown', ref: push.ref, sha };
    if (stored.job.disabled) throw new ForbiddenError(`${stored.job.name} is disabled`);
    if (stored.job.scm) {
      const built = await this.#polling.buildPushed([{ id: stored.id, job: stored.job as ScmJob['job'], built: true }], push.ref, sha, cause);
      return describe(built);
    }
    await this.#builds.trigger(stored.job.name, {}, cause);
    return `Scheduled ${stored.job.name}\n`;
  }

  /**
   * POST /generic-webhook-trigger/invoke (Generic Webhook Trigger): the jobs whose token this is
   * are built, each of their JSONPath parameters resolved from the payload. Answers as the plugin.
   */
  async generic(token: string | undefined, req: WebhookRequest): Promise<{ jobs: Record<string, unknown>; message: string }> {
    if (!token) this.#refuse('generic', req.address, new UnauthorizedError('A token is required: ?token=, a token header or Authorization: Bearer'));
    const jobs = await this.#jobs.genericWebhookJobs(token);
    if (jobs.length === 0) this.#refuse('generic', req.address, new ForbiddenError('No job has this Generic Webhook Trigger token'));
    const payload = req.payload();
    const answer: Record<string, unknown> = {};
    for (const { job } of jobs) {
      const trigger = job.triggers.genericWebhook!;
      const resolved: Record<string, string> = {};
      for (const p of trigger.parameters) {
        let value: string | null;
        try {
          value = jsonPathText(p.expression, payload);
        } catch (err) {
          if (err instanceof JsonPathError) throw new ValidationError(`${job.name}: ${p.key}: ${err.message}`);
          throw err;
        }
        if (value !== null && (value.includes('\u0000') || !value.isWellFormed())) throw new ValidationError(`${job.name}: ${p.key}: the value holds a NUL character or an unpaired surrogate`);
        resolved[p.key] = value ?? p.defaultValue ?? '';
      }
      // Only the job's own parameters are passed (Jenkins drops undefined ones); all are shown.
      const given = Object.fromEntries(Object.entries(resolved).filter(([k]) => job.parameters.some((d) => d.name === k)));
      const id = await this.#builds.trigger(job.name, given, { kind: 'genericWebhook', text: trigger.causeString });
      answer[job.name] = { regexpFilterExpression: '', triggered: true, resolvedVariables: resolved, regexpFilterText: '', id, url: `queue/item/${id}/` };
    }
    return { jobs: answer, message: 'Triggered jobs.' };
  }

  async #verifyHmac(source: string, req: WebhookRequest, credentialsId: string | null, given: string, prefix: string): Promise<void> {
    if (!given) this.#refuse(source, req.address, new UnauthorizedError(`The payload is not signed (${source === 'github' ? 'X-Hub-Signature-256' : 'X-Gitea-Signature'})`));
    if (!credentialsId) this.#refuse(source, req.address, new ForbiddenError(`No ${source === 'github' ? 'GitHub' : 'Gitea'} webhook secret is set (Manage Jonkkins → Webhooks)`));
    let secret: string;
    try {
      const credential = await this.#credentials(credentialsId, null);
      if (credential.kind !== 'secretText') throw new Error(`credential ${credentialsId} is not secret text`);
      secret = credential.secret;
    } catch (err) {
      this.#log.warn({ webhook: source, err: (err as Error).message }, 'webhook secret unreadable');
      this.#refuse(source, req.address, new ForbiddenError('The webhook secret cannot be read'));
    }
    if (!sameSecret(given.toLowerCase(), `${prefix}${hmacSha256Hex(secret, req.raw)}`)) this.#refuse(source, req.address, new ForbiddenError('The signature does not match the payload'));
  }

  /** The first time a delivery id is seen (a day's memory, in Redis: every master shares it). */
  async #firstDelivery(source: string, id: string): Promise<boolean> {
    if (id.length > 128) throw new ValidationError('The delivery id is longer than 128 characters');
    return (await this.#redis.set(`${this.#prefix}webhook-delivery:${source}:${id}`, '1', 'EX', 86_400, 'NX')) === 'OK';
  }
}

function describe(built: readonly ScmJob[]): string {
  return built.length === 0 ? 'No job builds this repository and branch\n' : built.map((j) => `Scheduled ${j.job.name}\n`).join('');
}
