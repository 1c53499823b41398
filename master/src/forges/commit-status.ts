/**
 * The commit status publisher (GitHub plugin's "Set GitHub commit status", GitLab's "Publish build
 * status", Gitea's): `entries` decides, inside the build's transaction, which outbox rows a start
 * or an end adds; `CommitStatusDelivery` sends one row to the forge. A forge that fails is
 * retried with backoff, then reported in the build's console; it never changes the result.
 */
import { causedRevision, type Cause } from '../../../shared/src/build.ts';
import type { CredentialSecret } from '../../../shared/src/credentials.ts';
import type { Job, Publisher } from '../../../shared/src/job.ts';
import { PermanentDeliveryError, type OutboxEntry, type OutboxHandler } from '../outbox/outbox.ts';
import { statusRequest, type Forge, type StatusEvent } from './forge-status-api.ts';
import { z } from 'zod';

export const COMMIT_STATUS = 'commitStatus';
const FORGE_NAMES: Record<Forge, string> = { github: 'GitHub', gitlab: 'GitLab', gitea: 'Gitea' };
const REQUEST_TIMEOUT_MS = 10_000;

const Payload = z.object({
  buildId: z.number(),
  job: z.string(),
  number: z.number(),
  forge: z.enum(['github', 'gitlab', 'gitea']),
  apiUrl: z.string().optional(),
  credentialsId: z.string(),
  context: z.string(),
  repositoryUrl: z.string(),
  sha: z.string(),
  event: z.string(),
  targetUrl: z.string(),
});
type Payload = z.infer<typeof Payload>;

type CommitStatusPublisher = Extract<Publisher, { type: 'commitStatus' }>;

export interface BuildFacts {
  id: number;
  number: number;
  jobName: string;
  causes: Cause[];
  /** The commit the agent checked out, once recorded (the git checkout's); else the cause's. */
  checkedOut?: string | null;
  buildUrl: string;
}

/** The outbox rows for this build's commit status publishers at `event`, and the console lines saying what was not set. */
export function commitStatusEntries(job: Job, build: BuildFacts, event: StatusEvent): { entries: OutboxEntry[]; lines: string[] } {
  const publishers = job.publishers.flatMap((p, index) => (p.type === 'commitStatus' ? [{ p, index }] : []));
  if (publishers.length === 0) return { entries: [], lines: [] };
  const sha = build.checkedOut ?? causedRevision(build.causes);
  const lines: string[] = [];
  const entries: OutboxEntry[] = [];
  for (const { p, index } of publishers) {
    const context = contextOf(p, job.name);
    if (!job.scm) {
      lines.push(`[commit status] ${FORGE_NAMES[p.forge]} '${context}' not set: the job has no repository (scm)\n`);
      continue;
    }
    if (!sha) {
      lines.push(`[commit status] ${FORGE_NAMES[p.forge]} '${context}' not set: no commit is known for this build\n`);
      continue;
    }
    const payload: Payload = {
      buildId: build.id,
      job: job.name,
      number: build.number,
      forge: p.forge,
      ...(p.apiUrl ? { apiUrl: p.apiUrl } : {}),
      credentialsId: p.credentialsId,
      context,
      repositoryUrl: job.scm.url,
      sha,
      event,
      targetUrl: build.buildUrl,
    };
    const phase = event === 'pending' ? 'pending' : 'final';
    entries.push({ kind: COMMIT_STATUS, dedupeKey: `${COMMIT_STATUS}:${build.id}:${index}:${phase}`, orderingKey: `build:${build.id}`, payload });
  }
  return { entries, lines };
}

function contextOf(p: CommitStatusPublisher, jobName: string): string {
  return p.context ?? (p.forge === 'gitlab' ? 'jenkins' : jobName);
}

/** A credential's secret for a job (credential scoping applies), or a thrown error saying why not. */
export type CredentialReader = (credentialsId: string, jobName: string) => Promise<CredentialSecret>;

function tokenOf(secret: CredentialSecret): string {
  if (secret.kind === 'secretText') return secret.secret;
  if (secret.kind === 'usernamePassword') return secret.password;
  throw new PermanentDeliveryError(`a ${secret.kind} credential holds no token (use secret text)`);
}

/** Delivers commit status rows; `note` appends a line to a build's console (a give-up). */
export class CommitStatusDelivery implements OutboxHandler {
  readonly #credentials: CredentialReader;
  readonly #note: (buildId: number, line: string) => Promise<void>;
  constructor(deps: { credentials: CredentialReader; note: (buildId: number, line: string) => Promise<void> }) {
    this.#credentials = deps.credentials;
    this.#note = deps.note;
  }

  async deliver(raw: unknown): Promise<void> {
    const p = Payload.parse(raw);
    let token: string;
    try {
      token = tokenOf(await this.#credentials(p.credentialsId, p.job));
    } catch (err) {
      throw new PermanentDeliveryError(`credential '${p.credentialsId}': ${(err as Error).message}`);
    }
    const req = statusRequest({ ...p, event: p.event as StatusEvent, token });
    let res: Response;
    try {
      res = await fetch(req.url, { method: 'POST', headers: req.headers, body: JSON.stringify(req.body), redirect: 'error', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      throw new Error(`${req.url}: ${(err as Error).message}`);
    }
    await res.body?.cancel();
    if (res.ok) return;
    const why = `${new URL(req.url).origin} answered ${res.status} ${res.statusText}`;
    if (res.status === 429 || res.status >= 500) throw new Error(why);
    throw new PermanentDeliveryError(why);
  }

  async gaveUp(raw: unknown, err: Error): Promise<void> {
    const p = Payload.parse(raw);
    await this.#note(p.buildId, `[commit status] ${FORGE_NAMES[p.forge]} '${p.context}' ${p.event === 'pending' ? 'pending' : p.event} for ${p.sha} not set: ${err.message}\n`);
  }
}
