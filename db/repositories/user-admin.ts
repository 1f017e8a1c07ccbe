import { sql } from 'kysely';
import type { DbOrTrx } from '../index.ts';
import type { Role } from '../../src/domain/types.ts';

// Users and tokens as the admin pages see them. Token hashes are never selected here.

export interface AdminUserRow {
  id: string;
  name: string;
  role: Role;
  created_at: Date;
  disabled_at: Date | null;
  has_password: boolean;
}

export async function listUsers(db: DbOrTrx): Promise<AdminUserRow[]> {
  return db
    .selectFrom('users')
    .select(['id', 'name', 'role', 'created_at', 'disabled_at', sql<boolean>`password_hash is not null`.as('has_password')])
    .orderBy('name')
    .execute();
}

export async function findAdminUser(db: DbOrTrx, id: string): Promise<AdminUserRow | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'name', 'role', 'created_at', 'disabled_at', sql<boolean>`password_hash is not null`.as('has_password')])
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function updateUser(db: DbOrTrx, id: string, patch: { role?: Role; disabled?: boolean }): Promise<void> {
  const set: { role?: Role; disabled_at?: Date | null } = {};
  if (patch.role !== undefined) set.role = patch.role;
  if (patch.disabled !== undefined) set.disabled_at = patch.disabled ? new Date() : null;
  if (Object.keys(set).length === 0) return;
  let q = db.updateTable('users').set(set).where('id', '=', id);
  // Disabling twice keeps the first date.
  if (patch.disabled === true && patch.role === undefined) q = q.where('disabled_at', 'is', null);
  await q.execute();
}

export interface TokenRow {
  id: string;
  label: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export async function listTokens(db: DbOrTrx, userId: string): Promise<TokenRow[]> {
  return db.selectFrom('api_tokens').select(['id', 'label', 'created_at', 'last_used_at', 'revoked_at']).where('user_id', '=', userId).orderBy('id', 'desc').execute();
}

export async function insertTokenHash(db: DbOrTrx, userId: string, tokenHash: string, label: string | null): Promise<TokenRow> {
  return db.insertInto('api_tokens').values({ user_id: userId, token_hash: tokenHash, label }).returning(['id', 'label', 'created_at', 'last_used_at', 'revoked_at']).executeTakeFirstOrThrow();
}

/** Revokes one token by id; undefined when there is no such token (revoking twice is fine). */
export async function revokeTokenById(db: DbOrTrx, id: string): Promise<TokenRow | undefined> {
  await db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  return db.selectFrom('api_tokens').select(['id', 'label', 'created_at', 'last_used_at', 'revoked_at']).where('id', '=', id).executeTakeFirst();
}
