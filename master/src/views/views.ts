/**
 * The views service: the only code that reads or writes the views and view_jobs tables. A view
 * lists jobs by id (so a renamed job stays listed and a deleted one drops out by itself, through
 * the foreign keys) and may add every job whose whole name matches its includeRegex.
 */
import { sql, type DatabasePool, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { ALL_VIEW, matchesView, View } from '../../../shared/src/view.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const IdRow = z.object({ id: z.coerce.number() });
const IdKeyRow = z.object({ id: z.coerce.number(), key: z.string() });
const ViewRow = z.object({ id: z.coerce.number(), name: z.string(), description: z.string(), include_regex: z.string().nullable(), jobs: z.array(z.string()) });
type ViewRow = z.infer<typeof ViewRow>;

const VIEW_SELECT = sql.fragment`
  SELECT v.id, v.name, v.description, v.include_regex,
    coalesce((SELECT array_agg(j.name ORDER BY lower(j.name)) FROM view_jobs vj JOIN jobs j ON j.id = vj.job_id WHERE vj.view_id = v.id), '{}') AS jobs
  FROM views v`;

const toView = (row: ViewRow): View => ({ name: row.name, description: row.description, jobs: row.jobs, includeRegex: row.include_regex });

export class ViewsService {
  readonly #pool: DatabasePool;
  constructor(pool: DatabasePool) {
    this.#pool = pool;
  }

  /** Every stored view, by name (the built-in "All" is not stored). */
  async list(): Promise<View[]> {
    const rows = await this.#pool.any(sql.type(ViewRow)`${VIEW_SELECT} ORDER BY lower(v.name)`);
    return rows.map(toView);
  }

  async get(name: string): Promise<View> {
    return toView(await this.#row(this.#pool, name));
  }

  async create(input: unknown): Promise<View> {
    const view = parseInput(View, input, 'view');
    return this.#write(async (tx) => {
      if (await this.#taken(tx, view.name)) throw new ConflictError(`A view named '${view.name}' already exists`);
      const id = await tx.oneFirst(sql.type(IdRow)`
        INSERT INTO views (name, description, include_regex) VALUES (${view.name}, ${view.description}, ${view.includeRegex}) RETURNING id`);
      await this.#setJobs(tx, id, view.jobs);
      return toView(await this.#row(tx, view.name));
    });
  }

  /** Replaces the whole document; a different `name` renames the view. */
  async update(name: string, input: unknown): Promise<View> {
    const view = parseInput(View, input, 'view');
    return this.#write(async (tx) => {
      const current = await this.#row(tx, name, true);
      if (view.name.toLowerCase() !== current.name.toLowerCase() && (await this.#taken(tx, view.name))) {
        throw new ConflictError(`A view named '${view.name}' already exists`);
      }
      await tx.query(sql.unsafe`
        UPDATE views SET name = ${view.name}, description = ${view.description}, include_regex = ${view.includeRegex}, updated_at = now()
        WHERE id = ${current.id}`);
      await tx.query(sql.unsafe`DELETE FROM view_jobs WHERE view_id = ${current.id}`);
      await this.#setJobs(tx, current.id, view.jobs);
      return toView(await this.#row(tx, view.name));
    });
  }

  async delete(name: string): Promise<void> {
    const gone = await this.#pool.query(sql.unsafe`DELETE FROM views WHERE lower(name) = lower(${name})`);
    if (gone.rowCount === 0) throw new NotFoundError(`No view named '${name}'`);
  }

  /** Whether a job belongs to the view: listed, or its whole name matches includeRegex. "All" holds every job. */
  async membership(name: string): Promise<(jobName: string) => boolean> {
    if (name.toLowerCase() === ALL_VIEW.toLowerCase()) return () => true;
    const view = await this.get(name);
    return (jobName) => matchesView(view, jobName);
  }

  async #row(conn: Pick<DatabasePool, 'maybeOne'>, name: string, lock = false): Promise<ViewRow> {
    const row = await conn.maybeOne(sql.type(ViewRow)`${VIEW_SELECT} WHERE lower(v.name) = lower(${name}) ${lock ? sql.fragment`FOR UPDATE OF v` : sql.fragment``}`);
    if (!row) throw new NotFoundError(`No view named '${name}'`);
    return row;
  }

  #taken(tx: DatabaseTransactionConnection, name: string): Promise<boolean> {
    return tx.exists(sql.unsafe`SELECT 1 FROM views WHERE lower(name) = lower(${name})`);
  }

  /** Lists the named jobs in the view; a name that is no job is a 400 naming its index. */
  async #setJobs(tx: DatabaseTransactionConnection, viewId: number, names: string[]): Promise<void> {
    if (names.length === 0) return;
    const lowered = names.map((n) => n.toLowerCase());
    // FOR SHARE: a job deleted meanwhile cannot slip in between the check and the insert.
    const found = await tx.any(sql.type(IdKeyRow)`
      SELECT id, lower(name) AS key FROM jobs WHERE lower(name) = ANY(${sql.array(lowered, 'text')}) FOR SHARE`);
    const idByKey = new Map(found.map((r) => [r.key, r.id]));
    const missing = names.flatMap((n, i) => (idByKey.has(n.toLowerCase()) ? [] : [{ field: `jobs.${i}`, message: `no job named '${n}'` }]));
    if (missing.length > 0) throw new ValidationError(`Invalid view: ${missing.map((d) => `${d.field}: ${d.message}`).join('; ')}`, missing);
    await tx.query(sql.unsafe`
      INSERT INTO view_jobs (view_id, job_id) SELECT ${viewId}, unnest(${sql.array([...new Set(idByKey.values())], 'int8')}) ON CONFLICT DO NOTHING`);
  }

  /** Runs a write in a transaction; a concurrent writer taking the same name is a 409, not a 500. */
  async #write<T>(work: (tx: DatabaseTransactionConnection) => Promise<T>): Promise<T> {
    try {
      return await this.#pool.transaction(work);
    } catch (err) {
      if ((err as Error).name === 'UniqueIntegrityConstraintViolationError') throw new ConflictError('A view with that name already exists');
      throw err;
    }
  }
}
