/**
 * Download tickets: a plain link (a new tab, a file download) cannot carry the Authorization
 * header, and a token in an address ends up in history and logs. So a person asks for a ticket for
 * ONE download path; the link `<path>?ticket=…` then works once, within 60 seconds, for GET of
 * exactly that path, as that person — it is not a token for anything else.
 *
 * Tickets live in Redis (shared by every master behind one URL); redeeming one is a GETDEL, so two
 * requests racing with the same ticket cannot both win.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { UnauthorizedError, ValidationError } from '../errors.ts';

export const TICKET_SECONDS = 60;

/**
 * What a ticket may open: a build's console as plain text, one artifact, all artifacts as a zip.
 * Each captures the job name and build reference (number or permalink) segments.
 */
const DOWNLOAD_PATHS: RegExp[] = [
  /^\/api\/jobs\/([^/]+)\/builds\/([^/]+)\/log$/,
  /^\/api\/jobs\/([^/]+)\/builds\/([^/]+)\/artifacts\.zip$/,
  /^\/api\/jobs\/([^/]+)\/builds\/([^/]+)\/artifacts\/.+$/,
];

/** The job and build a download path names (decoded), or null when it is not a download path. */
export function downloadTarget(path: string): { job: string; ref: string } | null {
  for (const re of DOWNLOAD_PATHS) {
    const m = re.exec(path);
    if (m) return { job: decodeURIComponent(m[1]!), ref: decodeURIComponent(m[2]!) };
  }
  return null;
}

/**
 * One spelling per path, so `%20`, `%41` and `A` compare equal: every segment decoded and
 * re-encoded. Throws URIError on a malformed escape.
 */
export function canonicalPath(path: string): string {
  return path.split('/').map((s) => encodeURIComponent(decodeURIComponent(s))).join('/');
}

const Stored = z.object({ path: z.string(), principal: z.object({ kind: z.literal('user'), id: z.number(), name: z.string(), sessionId: z.string() }) });

export class DownloadTickets {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}download-ticket:`;
  }

  /** Checks that `path` is a download path and issues a ticket for it; the caller has checked the reader may read it. */
  async issue(principal: Principal, path: string): Promise<{ ticket: string; path: string }> {
    if (principal.kind !== 'user') throw new ValidationError('Download tickets are for people');
    // A ticket dies with the session that asked for it; HTTP Basic requests have none (and need no ticket: they can send their credentials).
    if (principal.sessionId === null) throw new ValidationError('Download tickets are for login sessions: with HTTP Basic, send the credentials with the download itself');
    let canonical: string;
    try {
      canonical = canonicalPath(path);
    } catch {
      throw new ValidationError(`Malformed %-escape in '${path}'`, [{ field: 'path', message: 'malformed %-escape' }]);
    }
    const ticket = randomBytes(24).toString('base64url');
    const stored: z.infer<typeof Stored> = { path: canonical, principal: { kind: 'user', id: principal.id, name: principal.name, sessionId: principal.sessionId } };
    await this.#redis.set(this.#prefix + ticket, JSON.stringify(stored), 'EX', TICKET_SECONDS);
    return { ticket, path: canonical };
  }

  /**
   * Uses up a ticket for a GET of `path`; returns who it was issued to. An unknown, used or expired
   * ticket, or one for another path, is a 401 (the ticket is used up either way).
   */
  async redeem(ticket: string, path: string): Promise<{ id: number; name: string; sessionId: string }> {
    const raw = ticket.length <= 64 ? await this.#redis.getdel(this.#prefix + ticket) : null;
    if (raw === null) throw new UnauthorizedError('This download link has expired or was already used: open it again from its page');
    const stored = Stored.parse(JSON.parse(raw));
    let canonical: string | null = null;
    try {
      canonical = canonicalPath(path);
    } catch {
      /* a malformed path is not the ticket's path */
    }
    if (canonical !== stored.path) throw new UnauthorizedError('This download link is for another file');
    return stored.principal;
  }
}
