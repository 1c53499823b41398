/** The users service: the only code that reads or writes the users table. */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { RegisterUserRequest, Role, UpdateUserRequest, User } from '../../../shared/src/identity.ts';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.ts';
import { hashSecret, verifyAgainstDecoy, verifySecret } from '../auth/secret-hash.ts';
import type { Principal } from '../auth/principal.ts';
import type { SessionsService } from '../auth/sessions.ts';
import type { SettingsService } from '../settings/settings.ts';
import type { SetupCode } from './setup-code.ts';


// Row schemas are built once: zod compiles each new schema on its first parse.
const PasswordHashRow = z.object({ password_hash: z.string() });
// Row schemas are built once: zod compiles each new schema on its first parse.
const NRow = z.object({ n: z.number() });
const UserRow = z.object({
  id: z.coerce.number(),
  username: z.string(),
  full_name: z.string(),
  email: z.string().nullable(),
  role: z.enum(['admin', 'user']),
  created_at: z.number(),
  last_login_at: z.number().nullable(),
});
type UserRow = z.infer<typeof UserRow>;
const USER_COLUMNS = sql.fragment`id, username, full_name, email, role, created_at, last_login_at`;

// Serialises first-user registration so two racing sign-ups cannot both become admin.
const FIRST_USER_LOCK = 727_002;

export function toUser(row: UserRow): User {
  return {
    username: row.username,
    fullName: row.full_name,
    email: row.email,
    role: row.role,
    createdAt: new Date(row.created_at).toISOString(),
    lastLoginAt: row.last_login_at === null ? null : new Date(row.last_login_at).toISOString(),
  };
}

export class UsersService {
  readonly #pool: DatabasePool;
  readonly #settings: SettingsService;
  readonly #sessions: SessionsService;
  readonly #setupCode: SetupCode | undefined;
  /** `setupCode`: what creating the first admin needs (undefined: nothing, the master listens on loopback only). */
  constructor(pool: DatabasePool, settings: SettingsService, sessions: SessionsService, setupCode?: SetupCode) {
    this.#pool = pool;
    this.#settings = settings;
    this.#sessions = sessions;
    this.#setupCode = setupCode;
  }

  /**
   * Registers a user. Anonymous callers may register only the first user (who becomes admin)
   * or, when self sign-up is on, a plain user. Otherwise only an admin may.
   */
  async register(by: Principal | undefined, req: RegisterUserRequest): Promise<User> {
    if (by && by.kind !== 'user') throw new ForbiddenError('Agents may not register users');
    // Refused before the password is hashed: a refusal must cost less than a hash (argon2 is
    // made to be dear). The decision is taken again under the lock, where it counts.
    const { selfSignup } = await this.#settings.security();
    const empty = !(await this.anyExist());
    roleFor(by, req, empty ? 'empty' : 'users', selfSignup);
    if (empty) this.#requireSetupCode(req);
    const passwordHash = await hashSecret(req.password);
    let first = false;
    const user = await this.#pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(${FIRST_USER_LOCK})`);
      first = (await tx.oneFirst(sql.type(NRow)`SELECT count(*)::int AS n FROM users`)) === 0;
      if (first) this.#requireSetupCode(req);
      const role = roleFor(by, req, first ? 'empty' : 'users', selfSignup);
      const taken = await tx.exists(sql.unsafe`SELECT 1 FROM users WHERE lower(username) = lower(${req.username})`);
      if (taken) throw new ConflictError(`The username '${req.username}' is already taken`);
      const row = await tx.one(sql.type(UserRow)`
        INSERT INTO users (username, full_name, email, password_hash, role)
        VALUES (${req.username}, ${req.fullName ?? ''}, ${req.email ?? null}, ${passwordHash}, ${role})
        RETURNING ${USER_COLUMNS}`);
      return toUser(row);
    });
    if (first) await this.#setupCode?.consumed();
    return user;
  }

  /** Checks a username and password; the same error for an unknown user and a wrong password. */
  async authenticate(username: string, password: string): Promise<User & { id: number }> {
    const row = await this.#pool.maybeOne(
      sql.type(UserRow.extend({ password_hash: z.string() }))`
        SELECT ${USER_COLUMNS}, password_hash FROM users WHERE lower(username) = lower(${username})`,
    );
    const ok = row ? await verifySecret(row.password_hash, password) : await verifyAgainstDecoy(password);
    if (!row || !ok) throw new UnauthorizedError('Invalid username or password');
    const updated = await this.#pool.one(
      sql.type(UserRow)`UPDATE users SET last_login_at = now() WHERE id = ${row.id} RETURNING ${USER_COLUMNS}`,
    );
    return { ...toUser(updated), id: updated.id };
  }

  #requireSetupCode(req: RegisterUserRequest): void {
    if (!this.#setupCode || this.#setupCode.matches(req.setupCode)) return;
    // Not the file's full path: that would tell anyone who asks where the master keeps its data.
    throw new UnauthorizedError(`Creating the first admin needs the setup code: it is in the master's log and in secrets/initialAdminPassword under its JONKKINS_HOME`);
  }

  /** Whether creating the first admin needs the setup code. */
  get setupCodeRequired(): boolean {
    return this.#setupCode?.required ?? false;
  }

  /** Whether anyone has registered yet (no one: the first to register becomes admin). */
  async anyExist(): Promise<boolean> {
    return this.#pool.exists(sql.unsafe`SELECT 1 FROM users`);
  }

  async list(): Promise<User[]> {
    const rows = await this.#pool.any(sql.type(UserRow)`SELECT ${USER_COLUMNS} FROM users ORDER BY lower(username)`);
    return rows.map(toUser);
  }

  async get(username: string): Promise<User> {
    const row = await this.#pool.maybeOne(sql.type(UserRow)`SELECT ${USER_COLUMNS} FROM users WHERE lower(username) = lower(${username})`);
    if (!row) throw new NotFoundError(`No user named '${username}'`);
    return toUser(row);
  }

  /**
   * People may change their own name, e-mail and password (with their current password: a token
   * left in a browser must not be enough to take the account); admins anyone's, and roles. A new
   * password ends the account's sessions, all but the caller's own when people change their own.
   */
  async update(by: Principal, username: string, req: UpdateUserRequest): Promise<User> {
    const self = by.kind === 'user' && by.name.toLowerCase() === username.toLowerCase();
    if (by.role !== 'admin' && !self) throw new ForbiddenError('You may only change your own account');
    if (req.role !== undefined && by.role !== 'admin') throw new ForbiddenError('Only an administrator may change roles');
    if (self && req.password !== undefined) await this.#checkCurrentPassword(by.id, req.currentPassword);
    const passwordHash = req.password === undefined ? null : await hashSecret(req.password);
    return this.#pool.transaction(async (tx) => {
      const row = await tx.maybeOne(sql.type(UserRow)`
        UPDATE users SET
          full_name = coalesce(${req.fullName ?? null}, full_name),
          email = CASE WHEN ${req.email !== undefined} THEN ${req.email ?? null} ELSE email END,
          role = coalesce(${req.role ?? null}, role),
          password_hash = coalesce(${passwordHash}, password_hash)
        WHERE lower(username) = lower(${username})
        RETURNING ${USER_COLUMNS}`);
      if (!row) throw new NotFoundError(`No user named '${username}'`);
      await assertAnAdminRemains(tx);
      if (passwordHash !== null) await this.#sessions.endAllOf(row.id, self && by.kind === 'user' ? by.sessionId : null, tx);
      return toUser(row);
    });
  }

  async #checkCurrentPassword(userId: number, given: string | undefined): Promise<void> {
    if (!given) throw new ValidationError('Changing your own password needs your current password', [{ field: 'currentPassword', message: 'required' }]);
    const hash = await this.#pool.oneFirst(sql.type(PasswordHashRow)`SELECT password_hash FROM users WHERE id = ${userId}`);
    if (!(await verifySecret(hash, given))) throw new WrongCurrentPasswordError();
  }

  async delete(by: Principal, username: string): Promise<void> {
    if (by.role !== 'admin') throw new ForbiddenError('Only an administrator may delete users');
    await this.#pool.transaction(async (tx) => {
      const gone = await tx.query(sql.unsafe`DELETE FROM users WHERE lower(username) = lower(${username})`);
      if (gone.rowCount === 0) throw new NotFoundError(`No user named '${username}'`);
      await assertAnAdminRemains(tx);
    });
  }
}

/** The role a registration gets, or the reason it is refused. */
function roleFor(by: Principal | undefined, req: RegisterUserRequest, users: 'empty' | 'users', selfSignup: boolean): Role {
  if (users === 'empty') return 'admin';
  if (by?.role === 'admin') return req.role ?? 'user';
  if (by) throw new ForbiddenError('Only an administrator may create users');
  if (selfSignup && !req.role) return 'user';
  if (selfSignup) throw new ForbiddenError('Self sign-up cannot choose a role');
  throw new UnauthorizedError('Sign-up is closed: an administrator must create your account');
}

/** Nobody could manage Jonkkins any more without an admin: refuse the change that removes the last. */
async function assertAnAdminRemains(tx: Parameters<Parameters<DatabasePool['transaction']>[0]>[0]): Promise<void> {
  const admins = await tx.oneFirst(sql.type(NRow)`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`);
  if (admins === 0) throw new ConflictError('Jonkkins must keep at least one administrator');
}

/** The current password given with one's own new password is not the account's (the route counts it as a failed login). */
export class WrongCurrentPasswordError extends ValidationError {
  constructor() {
    super('That is not your current password', [{ field: 'currentPassword', message: 'not your current password' }]);
  }
}
