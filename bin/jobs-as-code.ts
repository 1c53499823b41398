/**
 * Jobs as code: `jonkkins apply DIR` makes a master's jobs what the documents in DIR say (one
 * `<job name>.json` per job, the job document of the REST API), and `jonkkins export DIR` writes
 * them back. A client of the master's REST API like any other: it logs in as a person.
 *
 * Every document is read and validated before anything changes: one that does not validate names
 * its file and field, and nothing is applied. Applying the same documents again changes nothing
 * and says so (the master compares each document with the one it has, secrets included).
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Job } from '../shared/src/job.ts';

/** A document larger than this is refused unread (a job document is a few kilobytes). */
const MAX_DOCUMENT_BYTES = 1024 * 1024;
const MAX_DOCUMENTS = 5000;

export class JobsAsCodeError extends Error {}

export interface MasterClient {
  url: string;
  /** Where the lines of the report go. */
  say: (line: string) => void;
  username: string;
  password: string;
}

interface Document {
  file: string;
  job: Record<string, unknown> & { name: string };
}

/** Reads and validates every `*.json` of `dir`; all problems at once, each naming its file and field. */
export async function readDocuments(dir: string): Promise<Document[]> {
  const names = (await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw new JobsAsCodeError(`${dir}: ${err.code === 'ENOENT' ? 'no such directory' : err.message}`);
  }))
    .filter((n) => n.endsWith('.json'))
    .sort();
  if (names.length > MAX_DOCUMENTS) throw new JobsAsCodeError(`${dir}: ${names.length} documents, more than ${MAX_DOCUMENTS}`);
  const problems: string[] = [];
  const documents: Document[] = [];
  const seen = new Map<string, string>();
  for (const file of names) {
    const path = join(dir, file);
    const size = (await stat(path)).size;
    if (size > MAX_DOCUMENT_BYTES) {
      problems.push(`${file}: larger than ${MAX_DOCUMENT_BYTES} bytes`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      problems.push(`${file}: not JSON: ${(err as Error).message}`);
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${file}: must be a job document (a JSON object)`);
      continue;
    }
    const fromFile = file.slice(0, -'.json'.length);
    const doc = { name: fromFile, ...(raw as Record<string, unknown>) };
    if (doc.name !== fromFile) {
      problems.push(`${file}: name: '${String(doc.name)}' is not the file's name ('${fromFile}')`);
      continue;
    }
    const parsed = Job.safeParse(doc);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${file}: ${issue.path.join('.') || '(document)'}: ${issue.message}`);
      continue;
    }
    const clash = seen.get(fromFile.toLowerCase());
    if (clash) problems.push(`${file}: the same job as ${clash} (names are compared without case)`);
    seen.set(fromFile.toLowerCase(), file);
    documents.push({ file, job: doc as Document['job'] });
  }
  if (problems.length > 0) throw new JobsAsCodeError(`nothing was changed:\n  ${problems.join('\n  ')}`);
  return documents;
}

/** The REST API, as the person given. */
async function connect(client: MasterClient) {
  const base = client.url.endsWith('/') ? client.url : `${client.url}/`;
  const login = await fetch(new URL('login', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: client.username, password: client.password }),
  }).catch((err: Error) => {
    throw new JobsAsCodeError(`cannot reach the master at ${base}: ${err.cause instanceof Error ? err.cause.message : err.message}`);
  });
  if (!login.ok) throw new JobsAsCodeError(`login as ${client.username} refused: ${await problemOf(login)}`);
  const token = (await login.text()).trim();
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path.replace(/^\//, ''), base), {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res;
  };
}

async function problemOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (message) return `${res.status}: ${message}`;
  } catch {}
  return `${res.status} ${res.statusText}`;
}

const jobPath = (name: string) => `api/jobs/${encodeURIComponent(name)}`;

/** Creates and updates the jobs of `dir` (with `prune`, deletes the others); returns the report's counts. */
export async function apply(dir: string, client: MasterClient, options: { prune?: boolean } = {}) {
  const documents = await readDocuments(dir);
  const api = await connect(client);
  const listed = await api('GET', 'api/jobs');
  if (!listed.ok) throw new JobsAsCodeError(`cannot list the jobs: ${await problemOf(listed)}`);
  const existing = new Map(((await listed.json()) as { jobs: { name: string }[] }).jobs.map((j) => [j.name.toLowerCase(), j.name]));
  const counts = { created: 0, updated: 0, unchanged: 0, deleted: 0 };
  for (const { file, job } of documents) {
    const current = existing.get(job.name.toLowerCase());
    const res = current === undefined ? await api('POST', 'api/jobs', job) : await api('PUT', jobPath(current), job);
    if (!res.ok) throw new JobsAsCodeError(`${file}: refused by the master (${await problemOf(res)}); the documents before it were applied`);
    await res.body?.cancel();
    if (current === undefined) {
      counts.created++;
      client.say(`created ${job.name}`);
    } else if (res.headers.get('Jonkkins-Job-Changed') === 'false') {
      counts.unchanged++;
    } else {
      counts.updated++;
      client.say(`updated ${job.name}`);
    }
  }
  if (options.prune) {
    const kept = new Set(documents.map((d) => d.job.name.toLowerCase()));
    for (const [lower, name] of existing) {
      if (kept.has(lower)) continue;
      const res = await api('DELETE', jobPath(name));
      if (!res.ok && res.status !== 404) throw new JobsAsCodeError(`deleting ${name}: ${await problemOf(res)}`);
      counts.deleted++;
      client.say(`deleted ${name}`);
    }
  }
  const changed = counts.created + counts.updated + counts.deleted;
  client.say(
    changed === 0
      ? `nothing changed: ${counts.unchanged} job${counts.unchanged === 1 ? '' : 's'} as the documents say`
      : `${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged${options.prune ? `, ${counts.deleted} deleted` : ''}`,
  );
  return counts;
}

/** Writes every job of the master to `dir` as `<name>.json` (secrets as ****, which apply keeps as they are). */
export async function exportJobs(dir: string, client: MasterClient): Promise<number> {
  const api = await connect(client);
  const listed = await api('GET', 'api/jobs');
  if (!listed.ok) throw new JobsAsCodeError(`cannot list the jobs: ${await problemOf(listed)}`);
  const names = ((await listed.json()) as { jobs: { name: string }[] }).jobs.map((j) => j.name);
  await mkdir(dir, { recursive: true });
  const fields = Object.keys(Job.shape);
  for (const name of names) {
    const res = await api('GET', jobPath(name));
    if (!res.ok) throw new JobsAsCodeError(`reading ${name}: ${await problemOf(res)}`);
    const shown = (await res.json()) as Record<string, unknown>;
    // The job document only: the answer also carries relations and permalinks.
    const document = Object.fromEntries(fields.filter((f) => f in shown).map((f) => [f, shown[f]]));
    await writeFile(join(dir, `${name}.json`), `${JSON.stringify(document, null, 2)}\n`);
    client.say(`exported ${name}`);
  }
  client.say(`${names.length} job${names.length === 1 ? '' : 's'} written to ${dir}`);
  return names.length;
}
