/**
 * POST /api/download-tickets issues a ticket (download-tickets.ts); `redeemDownloadTicket` runs
 * before authentication and lets a GET that carries `?ticket=` in as the person it was issued to.
 */
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { principalOf, requireUser } from '../auth/authenticate.ts';
import type { AuthState } from '../auth/principal.ts';
import type { BuildsService } from '../builds/builds.ts';
import { UnauthorizedError, ValidationError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import type { SessionsService } from '../auth/sessions.ts';
import { canonicalPath, downloadTarget, TICKET_SECONDS, type DownloadTickets } from './download-tickets.ts';

const TicketRequest = z.strictObject({ path: z.string().min(1).max(8192) });
const KINDS = '…/builds/:n/log, …/builds/:n/artifacts/<path> or …/builds/:n/artifacts.zip under /api/jobs/:name';

export function downloadTicketRoutes(tickets: DownloadTickets, builds: BuildsService): Router {
  const r = new Router();
  r.post('/api/download-tickets', requireUser, async (ctx) => {
    const { path } = parseInput(TicketRequest, ctx.request.body);
    if (path.includes('?') || path.includes('#')) throw new ValidationError('Give the path alone, without a query', [{ field: 'path', message: 'no query or fragment' }]);
    let target: ReturnType<typeof downloadTarget> = null;
    try {
      target = downloadTarget(canonicalPath(path));
    } catch {
      /* malformed escapes: not a download path */
    }
    if (!target) throw new ValidationError(`Not a download path: '${path}' (tickets open ${KINDS})`, [{ field: 'path', message: 'not a download path' }]);
    // Every person may read every build; a build that does not exist gets no ticket.
    await builds.resolveRow(target.job, target.ref);
    const issued = await tickets.issue(principalOf(ctx), path);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { url: `${issued.path}?ticket=${issued.ticket}`, ticket: issued.ticket, expiresInSeconds: TICKET_SECONDS };
  });
  return r;
}

/** A request carrying a ticket: GET of the ticket's own download path only, by a person who still exists. */
export function isTicketRequest(ctx: { method: string; query: Record<string, unknown> }): boolean {
  return typeof ctx.query.ticket === 'string';
}

export function redeemDownloadTicket(tickets: DownloadTickets, sessions: SessionsService, now: () => number): Middleware {
  return async (ctx, next) => {
    if (!isTicketRequest(ctx)) return next();
    if (ctx.method !== 'GET') throw new UnauthorizedError('A download link works only for GET');
    if (!downloadTarget(ctx.path)) throw new UnauthorizedError('A download link opens only the file it was made for');
    const holder = await tickets.redeem(String(ctx.query.ticket), ctx.path);
    // A ticket dies with the session that asked for it (logout, a new password, a deleted account).
    const user = await sessions.user(holder.sessionId, holder.id);
    if (!user) throw new UnauthorizedError('This download link belongs to a session that has ended');
    const seconds = Math.floor(now() / 1000);
    (ctx.state as AuthState).principal = { kind: 'user', id: holder.id, name: user.username, role: user.role, authTime: seconds, expiresAt: seconds + TICKET_SECONDS, jti: 'download-ticket', sessionId: holder.sessionId, via: 'session' };
    ctx.set('Cache-Control', 'no-store');
    return next();
  };
}
