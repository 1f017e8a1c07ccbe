import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTrx } from '../../db/index.ts';
import type { Actor } from '../domain/review.ts';
import { ROLES, type Role } from '../domain/types.ts';
import { HttpProblem } from './errors.ts';

export interface ApiUser {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
}

export type AuthErrorCode = 'user_exists' | 'user_not_found' | 'token_not_found' | 'invalid_role' | 'invalid_name' | 'invalid_password';

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

// The prefix makes a leaked token recognisable to secret scanners; the rest is 256 random bits.
const TOKEN_PREFIX = 'cdk_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

function toUser(row: { id: string; name: string; role: Role; created_at: Date }): ApiUser {
  return { id: row.id, name: row.name, role: row.role, createdAt: row.created_at.toISOString() };
}

/** Creates a user with a first token. The token is returned once; only its hash is stored. */
export async function createUser(db: DbOrTrx, input: { name: string; role: Role; label?: string }): Promise<{ user: ApiUser; token: string }> {
  const name = input.name.trim();
  if (!/^[\p{L}\p{N}][\p{L}\p{N} ._@-]{0,99}$/u.test(name)) {
    throw new AuthError('invalid_name', 'name must be 1-100 letters, digits, spaces or . _ @ -, starting with a letter or digit');
  }
  if (!(ROLES as readonly string[]).includes(input.role)) {
    throw new AuthError('invalid_role', `role must be one of ${ROLES.join(', ')}`);
  }
  const row = await db
    .insertInto('users')
    .values({ name, role: input.role })
    .onConflict((oc) => oc.column('name').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AuthError('user_exists', `a user named ${JSON.stringify(name)} already exists`);
  const token = await insertToken(db, row.id, input.label ?? 'created with user');
  return { user: toUser(row), token };
}

/** Issues another token for an existing user (for example after revoking a leaked one). */
export async function issueToken(db: DbOrTrx, input: { name: string; label?: string }): Promise<{ user: ApiUser; token: string }> {
  const row = await db.selectFrom('users').selectAll().where('name', '=', input.name).executeTakeFirst();
  if (!row) throw new AuthError('user_not_found', `no user named ${JSON.stringify(input.name)}`);
  const token = await insertToken(db, row.id, input.label ?? null);
  return { user: toUser(row), token };
}

async function insertToken(db: DbOrTrx, userId: string, label: string | null): Promise<string> {
  const token = newToken();
  await db.insertInto('api_tokens').values({ user_id: userId, token_hash: hashToken(token), label }).execute();
  return token;
}

/**
 * Revokes one token (by its value) or every token of a user (by name). Returns how many were revoked;
 * revoking an already revoked token is not an error, a token or user that never existed is.
 */
export async function revokeToken(db: DbOrTrx, input: { token: string } | { userName: string }): Promise<{ revoked: number }> {
  if ('token' in input) {
    const hash = hashToken(input.token);
    const existing = await db.selectFrom('api_tokens').select(['id']).where('token_hash', '=', hash).executeTakeFirst();
    if (!existing) throw new AuthError('token_not_found', 'no such token');
    const res = await db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', existing.id).where('revoked_at', 'is', null).executeTakeFirst();
    return { revoked: Number(res.numUpdatedRows) };
  }
  const user = await db.selectFrom('users').select(['id']).where('name', '=', input.userName).executeTakeFirst();
  if (!user) throw new AuthError('user_not_found', `no user named ${JSON.stringify(input.userName)}`);
  const res = await db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('user_id', '=', user.id).where('revoked_at', 'is', null).executeTakeFirst();
  return { revoked: Number(res.numUpdatedRows) };
}

export interface Principal {
  user: ApiUser;
  tokenId: string;
  actor: Actor;
  /** Set when the request was authenticated by the web app's session cookie instead of a bearer token. */
  sessionId?: string;
}

/** Resolves a bearer token to its user; null for unknown, revoked or disabled. */
export async function authenticate(db: DbOrTrx, token: string): Promise<Principal | null> {
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as token_id', 't.last_used_at', 'u.id', 'u.name', 'u.role', 'u.created_at'])
    .where('t.token_hash', '=', hashToken(token))
    .where('t.revoked_at', 'is', null)
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  // last_used_at is for audits, not billing: a write per minute per token is plenty.
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await db.updateTable('api_tokens').set({ last_used_at: new Date() }).where('id', '=', row.token_id).execute();
  }
  const user = toUser(row);
  return { user, tokenId: row.token_id, actor: { name: user.name, role: user.role } };
}

/** Fixed one-minute windows per token: cheap, and good enough to stop a runaway script. */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly perMinute: number) {}

  /** Returns null when allowed, else the seconds until the window resets. */
  take(key: string, now = Date.now()): number | null {
    const w = this.windows.get(key);
    if (!w || now - w.start >= 60_000) {
      if (this.windows.size > 10_000) this.sweep(now);
      this.windows.set(key, { start: now, count: 1 });
      return null;
    }
    w.count += 1;
    if (w.count <= this.perMinute) return null;
    return Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000));
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(k);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type Access = 'public' | 'any' | readonly Role[];

export function bearerToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

const unauthorized = (detail: string) => new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Bearer realm="claimdesk"' } });

/** An onRequest hook (before the body is even read) enforcing one route's access rule. Admins may do anything. */
export function requireRole(db: DbOrTrx, limiter: RateLimiter, access: Access, byCookie?: (req: FastifyRequest) => Promise<Principal | null>) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    req.principal = null;
    if (access === 'public') return;
    const token = bearerToken(req);
    // A bearer token wins over a cookie; the cookie path checks its own session and the request's Origin.
    const principal = token ? await authenticate(db, token) : ((await byCookie?.(req)) ?? null);
    if (!token && !principal) throw unauthorized('missing bearer token: send Authorization: Bearer <token>');
    if (!principal) throw unauthorized('invalid or revoked token');
    const retryAfter = limiter.take(principal.tokenId);
    if (retryAfter !== null) {
      throw new HttpProblem(429, `rate limit exceeded; retry in ${retryAfter} s`, { headers: { 'Retry-After': String(retryAfter) } });
    }
    req.principal = principal;
    if (access === 'any') return;
    if (!hasRole(principal.user.role, access)) {
      throw new HttpProblem(403, `this needs the role ${access.join(' or ')}; you are ${principal.user.role}`);
    }
  };
}

export function hasRole(role: Role, allowed: readonly Role[]): boolean {
  return role === 'admin' || allowed.includes(role);
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('route has no authenticated principal');
  return req.principal;
}
