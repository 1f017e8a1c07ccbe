import { createHash, randomBytes } from 'node:crypto';
import type { DbOrTrx } from '../../db/index.ts';
import { findTokenIdByHash, findTokenOwner, findUserByName, insertToken as insertTokenRow, insertUserIfNew, markTokenUsed, revokeTokenById, revokeTokensOfUser } from '../../db/repositories/users.ts';
import type { Actor } from '../domain/review.ts';
import { ROLES, type Role } from '../domain/types.ts';

// Users and their API tokens: used by the API (bearer auth, POST /api/users) and the CLI (claimdesk users).

export interface ApiUser {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
}

export type AuthErrorCode = 'user_exists' | 'user_not_found' | 'token_not_found' | 'invalid_role' | 'invalid_name' | 'invalid_password';

export class AuthError extends Error {
  /** The input at fault, for the input errors. */
  readonly field: 'name' | 'role' | 'password' | null;
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
    this.field = code === 'invalid_name' ? 'name' : code === 'invalid_role' ? 'role' : code === 'invalid_password' ? 'password' : null;
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
  const row = await insertUserIfNew(db, { name, role: input.role });
  if (!row) throw new AuthError('user_exists', `a user named ${JSON.stringify(name)} already exists`);
  const token = await insertToken(db, row.id, input.label ?? 'created with user');
  return { user: toUser(row), token };
}

/** Issues another token for an existing user (for example after revoking a leaked one). */
export async function issueToken(db: DbOrTrx, input: { name: string; label?: string }): Promise<{ user: ApiUser; token: string }> {
  const row = await findUserByName(db, input.name);
  if (!row) throw new AuthError('user_not_found', `no user named ${JSON.stringify(input.name)}`);
  const token = await insertToken(db, row.id, input.label ?? null);
  return { user: toUser(row), token };
}

async function insertToken(db: DbOrTrx, userId: string, label: string | null): Promise<string> {
  const token = newToken();
  await insertTokenRow(db, { userId, tokenHash: hashToken(token), label });
  return token;
}

/**
 * Revokes one token (by its value) or every token of a user (by name). Returns how many were revoked;
 * revoking an already revoked token is not an error, a token or user that never existed is.
 */
export async function revokeToken(db: DbOrTrx, input: { token: string } | { userName: string }): Promise<{ revoked: number }> {
  if ('token' in input) {
    const hash = hashToken(input.token);
    const tokenId = await findTokenIdByHash(db, hash);
    if (tokenId === undefined) throw new AuthError('token_not_found', 'no such token');
    return { revoked: await revokeTokenById(db, tokenId) };
  }
  const user = await findUserByName(db, input.userName);
  if (!user) throw new AuthError('user_not_found', `no user named ${JSON.stringify(input.userName)}`);
  return { revoked: await revokeTokensOfUser(db, user.id) };
}

export interface Principal {
  user: ApiUser;
  tokenId: string;
  actor: Actor;
  /** Set when the request was authenticated by the web app's session cookie instead of a bearer token. */
  sessionId?: string;
}

/** Keeps token lookups (by token hash) for a while; the API's is src/api/auth-cache.ts. */
export interface PrincipalCache {
  lookup(tokenHash: string, load: () => Promise<Principal | null>): Promise<Principal | null>;
}

/**
 * Resolves a bearer token to its user; null for unknown, revoked or disabled. With a cache, a token seen a moment ago
 * is answered from memory (and its last_used_at, a once-a-minute audit stamp, is written on the next real lookup).
 */
export async function authenticate(db: DbOrTrx, token: string, cache?: PrincipalCache): Promise<Principal | null> {
  const tokenHash = hashToken(token);
  return cache ? cache.lookup(tokenHash, () => lookupToken(db, tokenHash)) : lookupToken(db, tokenHash);
}

async function lookupToken(db: DbOrTrx, tokenHash: string): Promise<Principal | null> {
  const row = await findTokenOwner(db, tokenHash);
  if (!row) return null;
  // last_used_at is for audits, not billing: a write per minute per token is plenty.
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await markTokenUsed(db, row.token_id, new Date());
  }
  const user = toUser(row);
  return { user, tokenId: row.token_id, actor: { name: user.name, role: user.role } };
}
