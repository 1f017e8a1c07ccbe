import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTrx } from '../../db/index.ts';
import { findLiveSession, insertSession, touchSession } from '../../db/repositories/sessions.ts';
import type { Config } from '../config/index.ts';
import type { Principal } from '../accounts/users.ts';
import { HttpProblem } from './errors.ts';

export const SESSION_COOKIE = 'claimdesk_session';
/** However active, a session ends a week after sign-in. */
export const SESSION_MAX_MS = 7 * 24 * 3600_000;

export interface SessionSettings {
  idleMs: number;
  secure: boolean;
}

export function sessionSettings(config: Pick<Config, 'SESSION_IDLE_HOURS' | 'NODE_ENV'>): SessionSettings {
  return { idleMs: config.SESSION_IDLE_HOURS * 3600_000, secure: config.NODE_ENV === 'production' };
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

/** When the session ends if unused from `lastSeen` on. */
export function sessionEnd(settings: SessionSettings, lastSeen: Date, absoluteEnd: Date): Date {
  return new Date(Math.min(lastSeen.getTime() + settings.idleMs, absoluteEnd.getTime()));
}

/** A new session for a user whose password hash is still `checkedPasswordHash`; null when it changed meanwhile. */
export async function startSession(db: DbOrTrx, userId: string, checkedPasswordHash: string, settings: SessionSettings): Promise<{ id: string; expiresAt: Date; absoluteEnd: Date } | null> {
  const id = randomBytes(32).toString('base64url');
  const row = await insertSession(db, { idHash: hashSessionId(id), userId, checkedPasswordHash, expiresAt: new Date(Date.now() + SESSION_MAX_MS) });
  if (!row) return null;
  return { id, expiresAt: sessionEnd(settings, row.last_seen_at, row.expires_at), absoluteEnd: row.expires_at };
}

export interface SessionPrincipal extends Principal {
  sessionId: string;
  expiresAt: Date;
}

/** The live session behind a cookie value, refreshing its last use; null when unknown, ended or idle too long. */
export async function resolveSession(db: DbOrTrx, rawId: string, settings: SessionSettings): Promise<SessionPrincipal | null> {
  if (rawId.length < 20 || rawId.length > 100) return null;
  const now = new Date();
  const row = await findLiveSession(db, hashSessionId(rawId), new Date(now.getTime() - settings.idleMs));
  if (!row) return null;
  // One write a minute is precise enough for an idle limit counted in hours.
  let lastSeen = row.last_seen_at;
  if (now.getTime() - lastSeen.getTime() > 60_000) {
    await touchSession(db, row.session_id, now);
    lastSeen = now;
  }
  const user = { id: row.user_id, name: row.name, role: row.role, createdAt: row.created_at.toISOString() };
  return {
    user,
    // The rate limiter counts per session, as it counts per token.
    tokenId: `session:${row.session_id}`,
    actor: { name: user.name, role: user.role },
    sessionId: row.session_id,
    expiresAt: sessionEnd(settings, lastSeen, row.expires_at),
  };
}

export function setSessionCookie(reply: FastifyReply, id: string, absoluteEnd: Date, settings: SessionSettings): void {
  void reply.setCookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', path: '/', secure: settings.secure, expires: absoluteEnd });
}

export function clearSessionCookie(reply: FastifyReply, settings: SessionSettings): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: settings.secure });
}

/** The session cookie's value; the Cookie header is parsed here, on the routes that look, not on every request. */
export function sessionCookie(req: FastifyRequest): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  const value = req.server.parseCookie(header)[SESSION_COOKIE];
  return typeof value === 'string' && value !== '' ? value : null;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The browser's Origin must name this service. The host is compared (not the scheme), so the check holds behind a
 * TLS-terminating proxy, where this process sees plain http; a missing Origin on a state change is refused.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string' || origin === 'null') return false;
  try {
    const url = new URL(origin);
    // "host:80" and "host" are the same place; URL drops default ports, a Host header may not.
    const bare = (h: string) => h.toLowerCase().replace(/:(?:80|443)$/, '');
    return (url.protocol === 'http:' || url.protocol === 'https:') && bare(url.host) === bare(host);
  } catch {
    return false;
  }
}

export function assertSameOriginForChange(req: FastifyRequest): void {
  if (STATE_CHANGING.has(req.method) && !sameOrigin(req)) throw new HttpProblem(403, 'cross-origin request refused');
}

const unauthorized = (detail: string) => new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Bearer realm="claimdesk"' } });

/**
 * Authenticates a request by its session cookie for requireRole: null when there is no cookie (the caller then asks
 * for a bearer token); 401 for an ended session; 403 for a cookie-authenticated change from another origin.
 */
export function cookieAuthenticator(db: DbOrTrx, settings: SessionSettings) {
  return async (req: FastifyRequest): Promise<SessionPrincipal | null> => {
    const raw = sessionCookie(req);
    if (!raw) return null;
    const principal = await resolveSession(db, raw, settings);
    if (!principal) throw unauthorized('your session has ended: sign in again');
    assertSameOriginForChange(req);
    return principal;
  };
}
