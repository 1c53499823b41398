/**
 * The credentials store (Jenkins' credentials plugin): the only code that reads or writes the
 * `credentials` table (sql/0017_credentials.sql). Secrets are sealed at rest (secret-box.ts, a key
 * of their own derived from the signing key, the credential's id authenticated with the value),
 * answered to people only as metadata, and opened only for a use that names them.
 *
 * The API other modules call (keep it this small):
 *   - `secretFor(credentialsId, jobName)` → the CredentialSecret, for one use by that job (git
 *     ls-remote polling, a webhook's secret, a commit status, a notification, a registry login).
 *     `jobName: null` is a use by the master itself on an admin's system configuration, which a
 *     credential's job restriction does not limit. Throws CredentialRefusedError (409) when the id
 *     is unknown, the job may not use it, or it cannot be opened (sealed under another key).
 *   - `forBuild(job, conn)` → the secrets of exactly the credentials the job names (credentialIdsOf),
 *     each checked against the job and against the kind its binding needs; inside the caller's
 *     transaction (a build's start). Throws CredentialRefusedError naming the first that fails.
 *   - `credentialIdsOf(job)` (below, pure) → the ids a job names: bindings, sshAgent, scm.
 *   - shared/src/credential-masks.ts `credentialMasks(secret)` → what a console must mask for it.
 * The rest (list, get, create, replace, delete, choices, reseal) serves the routes and the CLI.
 */
import { sql, UniqueIntegrityConstraintViolationError, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import {
  CredentialInput,
  CredentialSecret,
  CredentialUpdate,
  SECRET_FIELDS,
  type CredentialChoice,
  type CredentialKind,
  type CredentialMetadata,
} from '../../../shared/src/credentials.ts';
import type { Job } from '../../../shared/src/job.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import { SecretBox } from '../secret-box.ts';
import { jobAllowed } from './job-globs.ts';

/** Why a credential cannot serve a use: the message names the credential and the reason. */
export class CredentialRefusedError extends ConflictError {
  readonly credentialsId: string;
  readonly reason: 'unknown' | 'notAllowed' | 'wrongKind' | 'unreadable';
  constructor(credentialsId: string, reason: CredentialRefusedError['reason'], message: string) {
    super(message);
    this.credentialsId = credentialsId;
    this.reason = reason;
  }
}

/** The key purpose of credentials: a key of their own, derived from the signing key. */
const PURPOSE = 'credentials at rest v1';

const Row = z.object({
  id: z.string(),
  kind: z.enum(['secretText', 'usernamePassword', 'sshPrivateKey', 'secretFile']),
  description: z.string(),
  username: z.string().nullable(),
  file_name: z.string().nullable(),
  jobs: z.array(z.string()).nullable(),
  sealed: z.string(),
  key_id: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
});
type Row = z.infer<typeof Row>;
const COLUMNS = sql.fragment`id, kind, description, username, file_name, jobs, sealed, key_id, created_at, updated_at`;

const toMetadata = (row: Row): CredentialMetadata => ({
  id: row.id,
  description: row.description,
  kind: row.kind,
  ...(row.username === null ? {} : { username: row.username }),
  ...(row.file_name === null ? {} : { fileName: row.file_name }),
  ...(row.jobs === null ? {} : { jobs: row.jobs }),
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/** The kinds each use of a credential accepts (as Jenkins' bindings and the git plugin do). */
const USE_KINDS = {
  secretText: ['secretText'],
  usernamePassword: ['usernamePassword'],
  sshKey: ['sshPrivateKey'],
  file: ['secretFile'],
  sshAgent: ['sshPrivateKey'],
  scm: ['usernamePassword', 'sshPrivateKey'],
} as const satisfies Record<string, readonly CredentialKind[]>;
const KIND_NAMES: Record<CredentialKind, string> = {
  secretText: 'Secret text',
  usernamePassword: 'Username with password',
  sshPrivateKey: 'SSH Username with private key',
  secretFile: 'Secret file',
};

/** Each use a job makes of a credential: where (for messages) and which kinds it accepts. */
function usesOf(job: Job): { credentialsId: string; where: string; kinds: readonly CredentialKind[] }[] {
  return [
    ...job.credentialBindings.map((b, i) => ({ credentialsId: b.credentialsId, where: `credentialBindings[${i}] (${b.type})`, kinds: USE_KINDS[b.type] })),
    ...job.sshAgent.map((id, i) => ({ credentialsId: id, where: `sshAgent[${i}]`, kinds: USE_KINDS.sshAgent })),
    ...(job.scm?.credentialsId ? [{ credentialsId: job.scm.credentialsId, where: 'scm', kinds: USE_KINDS.scm }] : []),
  ];
}

/** The ids of every credential a job names (bindings, sshAgent, scm.credentialsId), once each. */
export function credentialIdsOf(job: Job): string[] {
  return [...new Set(usesOf(job).map((u) => u.credentialsId))];
}

/** The fields of a secret that are not secret: stored beside it to be shown. */
const shownFields = (secret: CredentialSecret) => ({
  username: secret.kind === 'usernamePassword' || secret.kind === 'sshPrivateKey' ? secret.username : null,
  fileName: secret.kind === 'secretFile' ? secret.fileName : null,
});

/** An empty passphrase is none: what an edit form sends to remove one. */
function normalised(secret: CredentialSecret): CredentialSecret {
  if (secret.kind === 'sshPrivateKey' && secret.passphrase === '') {
    const { passphrase: _, ...rest } = secret;
    return rest;
  }
  return secret;
}

export class CredentialsService {
  readonly #pool: DatabasePool;
  readonly #box: SecretBox;
  constructor(pool: DatabasePool, signingKey: Buffer) {
    this.#pool = pool;
    this.#box = new SecretBox(signingKey, PURPOSE);
  }

  /** Every credential's metadata, by id. */
  async list(): Promise<CredentialMetadata[]> {
    return (await this.#pool.any(sql.type(Row)`SELECT ${COLUMNS} FROM credentials ORDER BY id`)).map(toMetadata);
  }

  async get(id: string): Promise<CredentialMetadata> {
    return toMetadata(await this.#row(this.#pool, id));
  }

  /** Ids, kinds and descriptions for a job's credential drop-downs: those job `jobName` may use (all without one). */
  async choices(jobName: string | undefined): Promise<CredentialChoice[]> {
    const rows = await this.#pool.any(sql.type(Row)`SELECT ${COLUMNS} FROM credentials ORDER BY id`);
    return rows.filter((r) => jobName === undefined || r.jobs === null || jobAllowed(r.jobs, jobName)).map((r) => ({ id: r.id, kind: r.kind, description: r.description }));
  }

  async create(input: unknown): Promise<CredentialMetadata> {
    const { id, description, jobs, ...rest } = parseInput(CredentialInput, input, 'credential');
    const secret = normalised(CredentialSecret.parse(rest));
    const shown = shownFields(secret);
    try {
      const row = await this.#pool.one(sql.type(Row)`
        INSERT INTO credentials (id, kind, description, username, file_name, jobs, sealed, key_id)
        VALUES (${id}, ${secret.kind}, ${description}, ${shown.username}, ${shown.fileName}, ${jobs ? sql.array(jobs, 'text') : null},
                ${this.#box.seal(JSON.stringify(secret), id)}, ${this.#box.keyId})
        RETURNING ${COLUMNS}`);
      return toMetadata(row);
    } catch (err) {
      if (err instanceof UniqueIntegrityConstraintViolationError) throw new ConflictError(`A credential with id '${id}' already exists`);
      throw err;
    }
  }

  /**
   * Replaces credential `id` (CredentialUpdate): a secret field left out keeps its stored value
   * while the kind stays the same; a new kind needs all of its fields.
   */
  async replace(id: string, input: unknown): Promise<CredentialMetadata> {
    const { id: named, description, jobs, ...given } = parseInput(CredentialUpdate, input, 'credential');
    if (named !== undefined && named !== id) throw new ValidationError(`Invalid credential: id: a credential's id cannot change (it is '${id}')`, [{ field: 'id', message: 'cannot change' }]);
    return this.#pool.transaction(async (tx) => {
      const row = await this.#row(tx, id, true);
      const kept: Record<string, unknown> = {};
      const missing = SECRET_FIELDS[given.kind].filter((f) => !(f in given));
      if (row.kind === given.kind && missing.length > 0) {
        const stored = this.#open(row) as Record<string, unknown>;
        for (const f of missing) if (stored[f] !== undefined) kept[f] = stored[f];
      }
      const merged = CredentialSecret.safeParse({ ...kept, ...given });
      if (!merged.success) {
        const fields = merged.error.issues.map((i) => i.path.join('.'));
        throw new ValidationError(`Invalid credential: ${fields.join(', ')}: required for a ${KIND_NAMES[given.kind]} credential`, fields.map((field) => ({ field, message: 'required' })));
      }
      const secret = normalised(merged.data);
      const shown = shownFields(secret);
      const updated = await tx.one(sql.type(Row)`
        UPDATE credentials SET kind = ${secret.kind}, description = ${description}, username = ${shown.username}, file_name = ${shown.fileName},
          jobs = ${jobs ? sql.array(jobs, 'text') : null}, sealed = ${this.#box.seal(JSON.stringify(secret), id)}, key_id = ${this.#box.keyId}, updated_at = now()
        WHERE id = ${id} RETURNING ${COLUMNS}`);
      return toMetadata(updated);
    });
  }

  async delete(id: string): Promise<void> {
    const gone = await this.#pool.query(sql.unsafe`DELETE FROM credentials WHERE id = ${id}`);
    if (gone.rowCount === 0) throw new NotFoundError(`No credential with id '${id}'`);
  }

  /** The secret of `credentialsId` for one use by job `jobName` (null: the master itself). See the header. */
  async secretFor(credentialsId: string, jobName: string | null): Promise<CredentialSecret> {
    const row = await this.#pool.maybeOne(sql.type(Row)`SELECT ${COLUMNS} FROM credentials WHERE id = ${credentialsId}`);
    return this.#allowed(row, credentialsId, jobName);
  }

  /** The secrets of the credentials `job` names, by id, each checked for the job and its use. See the header. */
  async forBuild(job: Job, conn: CommonQueryMethods): Promise<Record<string, CredentialSecret>> {
    const uses = usesOf(job);
    if (uses.length === 0) return {};
    const ids = credentialIdsOf(job);
    const rows = await conn.any(sql.type(Row)`SELECT ${COLUMNS} FROM credentials WHERE id = ANY(${sql.array(ids, 'text')})`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const secrets: Record<string, CredentialSecret> = {};
    for (const use of uses) {
      const secret = (secrets[use.credentialsId] ??= this.#allowed(byId.get(use.credentialsId) ?? null, use.credentialsId, job.name));
      if (!use.kinds.includes(secret.kind)) {
        throw new CredentialRefusedError(use.credentialsId, 'wrongKind',
          `Credentials '${use.credentialsId}' is of type '${KIND_NAMES[secret.kind]}' where ${use.kinds.map((k) => `'${KIND_NAMES[k]}'`).join(' or ')} was expected (${use.where})`);
      }
    }
    return secrets;
  }

  /**
   * Seals again, under the current key, every credential sealed under `previousSigningKey` (the
   * former JONKKINS_SECRET or secret.key). Answers how many were resealed, and the ids that opened
   * with neither key (they must be entered again).
   */
  async reseal(previousSigningKey: Buffer): Promise<{ resealed: string[]; unreadable: string[] }> {
    const previous = new SecretBox(previousSigningKey, PURPOSE);
    return this.#pool.transaction(async (tx) => {
      const rows = await tx.any(sql.type(Row)`SELECT ${COLUMNS} FROM credentials WHERE key_id <> ${this.#box.keyId} ORDER BY id FOR UPDATE`);
      const resealed: string[] = [];
      const unreadable: string[] = [];
      for (const row of rows) {
        let plain: string;
        try {
          plain = previous.open(row.sealed, row.id);
        } catch {
          unreadable.push(row.id);
          continue;
        }
        await tx.query(sql.unsafe`UPDATE credentials SET sealed = ${this.#box.seal(plain, row.id)}, key_id = ${this.#box.keyId} WHERE id = ${row.id}`);
        resealed.push(row.id);
      }
      return { resealed, unreadable };
    });
  }

  #allowed(row: Row | null, credentialsId: string, jobName: string | null): CredentialSecret {
    if (!row) throw new CredentialRefusedError(credentialsId, 'unknown', `Could not find credentials entry with ID '${credentialsId}'`);
    if (jobName !== null && row.jobs !== null && !jobAllowed(row.jobs, jobName)) {
      throw new CredentialRefusedError(credentialsId, 'notAllowed',
        `Credentials '${credentialsId}' may not be used by job '${jobName}': it is limited to ${row.jobs.length === 0 ? 'no job' : `the jobs ${row.jobs.map((j) => `'${j}'`).join(', ')}`}`);
    }
    return this.#open(row);
  }

  #open(row: Row): CredentialSecret {
    try {
      return CredentialSecret.parse(JSON.parse(this.#box.open(row.sealed, row.id)));
    } catch {
      const why = row.key_id === this.#box.keyId ? 'its stored secret is damaged' : 'it was sealed under another JONKKINS_SECRET (see "Rotating JONKKINS_SECRET" in README.md: jonkkins credentials reseal)';
      throw new CredentialRefusedError(row.id, 'unreadable', `Credentials '${row.id}' cannot be opened: ${why}`);
    }
  }

  async #row(conn: CommonQueryMethods, id: string, lock = false): Promise<Row> {
    const row = await conn.maybeOne(sql.type(Row)`SELECT ${COLUMNS} FROM credentials WHERE id = ${id} ${lock ? sql.fragment`FOR UPDATE` : sql.fragment``}`);
    if (!row) throw new NotFoundError(`No credential with id '${id}'`);
    return row;
  }
}
