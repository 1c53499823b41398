/**
 * The commit status publisher (GitHub plugin's "Set GitHub commit status", the GitLab and Gitea
 * plugins' build status): a BuildNotifier that leaves one outbox message per publisher when a
 * build starts (pending) and ends (its result), and the OutboxSender that posts them to the
 * forge. The outbox retries with backoff; a forge that fails for good is reported in the build's
 * console and never changes the result.
 *
 * The commit: the one the agent's checkout recorded for the build (build_checkouts), else the sha
 * its cause names (a push, a poll, a notifyCommit). At a build's start nothing is checked out yet:
 * a build whose cause names no commit (started by a person, a timer) gets its pending status when
 * its checkout is recorded (`pendingOnCheckout`).
 */
import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { causedRevision } from '../../../shared/src/build.ts';
import type { CredentialSecret } from '../../../shared/src/credentials.ts';
import type { BuildChange, BuildNotifier } from '../builds/build-notifiers.ts';
import { jobUrl } from '../builds/build-env.ts';
import { buildCheckout } from '../scm/checkouts.ts';
import { PermanentFailure, RetryLater, type Outbox, type OutboxEntry, type OutboxMessage, type OutboxSender } from '../outbox/outbox.ts';
import type { CheckedOut } from '../builds/agent-builds.ts';
import { statusRequest, type Forge, type StatusEvent } from './forge-status-api.ts';

export const COMMIT_STATUS = 'commitStatus';
const FORGE_NAMES: Record<Forge, string> = { github: 'GitHub', gitlab: 'GitLab', gitea: 'Gitea' };
const REQUEST_TIMEOUT_MS = 10_000;

const Payload = z.object({
  job: z.string(),
  forge: z.enum(['github', 'gitlab', 'gitea']),
  apiUrl: z.string().optional(),
  credentialsId: z.string(),
  context: z.string(),
  repositoryUrl: z.string().nullable(),
  sha: z.string().nullable(),
  state: z.string(),
  targetUrl: z.string(),
});
type Payload = z.infer<typeof Payload>;

/** The commit a build is about (see the file's comment). */
export async function revisionOf(tx: DatabaseTransactionConnection, change: Pick<BuildChange, 'row'>): Promise<string | null> {
  const checkout = await buildCheckout(tx, change.row.id);
  return checkout?.revision.commit ?? causedRevision(change.row.causes)?.commit ?? null;
}

export class CommitStatusNotifier implements BuildNotifier {
  async messages(tx: DatabaseTransactionConnection, change: BuildChange): Promise<OutboxEntry[]> {
    const { job, row } = change;
    const state: StatusEvent | null = change.event === 'started' ? 'pending' : change.result;
    if (state === null || row.number === null || !job.publishers.some((p) => p.type === 'commitStatus')) return [];
    const sha = await revisionOf(tx, change);
    if (sha === null && state === 'pending') return [];
    return job.publishers.flatMap((p, index) => {
      if (p.type !== 'commitStatus') return [];
      const payload: Payload = {
        job: job.name,
        forge: p.forge,
        ...(p.apiUrl ? { apiUrl: p.apiUrl } : {}),
        credentialsId: p.credentialsId,
        context: p.context ?? (p.forge === 'gitlab' ? 'jenkins' : job.name),
        repositoryUrl: job.scm?.url ?? null,
        sha,
        state,
        targetUrl: `${jobUrl(change.publicUrl, job.name)}${row.number}/`,
      };
      return [{ kind: COMMIT_STATUS, buildId: row.id, event: change.event, target: String(index), payload }];
    });
  }
}

/**
 * A build whose cause named no commit gets its pending status once its checkout names one; the
 * outbox keeps one 'started' message per publisher, so a build that had one keeps it.
 */
export function pendingOnCheckout(notifier: CommitStatusNotifier, outbox: Outbox): CheckedOut {
  return async (tx, change) => {
    const messages = await notifier.messages(tx, change);
    await outbox.add(tx, messages);
    return messages.length > 0 ? [async () => outbox.kick()] : [];
  };
}

/** A credential's secret for a job (its scoping applies; null: the master itself), or a thrown error saying why not. */
export type CredentialReader = (credentialsId: string, jobName: string | null) => Promise<CredentialSecret>;

function tokenOf(secret: CredentialSecret): string {
  if (secret.kind === 'secretText') return secret.secret;
  if (secret.kind === 'usernamePassword') return secret.password;
  throw new PermanentFailure(`a ${secret.kind} credential holds no token (choose secret text)`);
}

export class CommitStatusSender implements OutboxSender {
  readonly #credentials: CredentialReader;
  readonly #note: (buildId: number, line: string) => Promise<boolean>;
  constructor(deps: { credentials: CredentialReader; note: (buildId: number, line: string) => Promise<boolean> }) {
    this.#credentials = deps.credentials;
    this.#note = deps.note;
  }

  async send(m: OutboxMessage): Promise<unknown> {
    const p = Payload.parse(m.payload);
    if (!p.repositoryUrl) throw new PermanentFailure('the job has no repository (Source Code Management)');
    if (!p.sha) throw new PermanentFailure('no commit is known for this build');
    let token: string;
    try {
      token = tokenOf(await this.#credentials(p.credentialsId, p.job));
    } catch (err) {
      throw new PermanentFailure(`credential '${p.credentialsId}': ${(err as Error).message}`);
    }
    const req = statusRequest({ ...p, repositoryUrl: p.repositoryUrl, sha: p.sha, event: p.state as StatusEvent, token });
    let res: Response;
    try {
      res = await fetch(req.url, { method: 'POST', headers: req.headers, body: JSON.stringify(req.body), redirect: 'error', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      throw new Error(`${new URL(req.url).origin}: ${(err as Error).message}`);
    }
    await res.body?.cancel();
    if (res.ok) return { status: res.status };
    const why = `${new URL(req.url).origin} answered ${res.status} ${res.statusText}`.trim();
    const retryAfter = Number(res.headers.get('retry-after'));
    if (res.status === 429 || (res.status === 403 && res.headers.get('x-ratelimit-remaining') === '0')) throw new RetryLater(why, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 60_000);
    if (res.status >= 500) throw new Error(why);
    throw new PermanentFailure(why);
  }

  async gaveUp(m: OutboxMessage, reason: string): Promise<void> {
    const p = Payload.parse(m.payload);
    // A pending status given up while the build runs: the note waits until the build has ended
    // (a running build's console is its agent's).
    await this.#note(m.buildId, `[commit status] ${FORGE_NAMES[p.forge]} '${p.context}' ${p.state}${p.sha ? ` on ${p.sha}` : ''} not set: ${reason}\n`);
  }
}
