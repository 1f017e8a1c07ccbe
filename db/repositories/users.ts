import type { Role } from '../../src/domain/types.ts';
import type { DbOrTrx } from '../index.ts';
import type { UserRow } from '../schema.ts';

/** Names are unique: undefined when the name is taken. */
export async function insertUserIfNew(db: DbOrTrx, values: { name: string; role: Role }): Promise<UserRow | undefined> {
  return db
    .insertInto('users')
    .values(values)
    .onConflict((oc) => oc.column('name').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function findUserByName(db: DbOrTrx, name: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function insertToken(db: DbOrTrx, values: { userId: string; tokenHash: string; label: string | null }): Promise<void> {
  await db.insertInto('api_tokens').values({ user_id: values.userId, token_hash: values.tokenHash, label: values.label }).execute();
}

export async function findTokenIdByHash(db: DbOrTrx, tokenHash: string): Promise<string | undefined> {
  return (await db.selectFrom('api_tokens').select(['id']).where('token_hash', '=', tokenHash).executeTakeFirst())?.id;
}

/** Revoking an already revoked token changes nothing; returns how many were revoked now. */
export async function revokeTokenById(db: DbOrTrx, tokenId: string): Promise<number> {
  const res = await db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', tokenId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function revokeTokensOfUser(db: DbOrTrx, userId: string): Promise<number> {
  const res = await db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** The user behind a live token (not revoked, user not disabled). */
export async function findTokenOwner(db: DbOrTrx, tokenHash: string) {
  return db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as token_id', 't.last_used_at', 'u.id', 'u.name', 'u.role', 'u.created_at'])
    .where('t.token_hash', '=', tokenHash)
    .where('t.revoked_at', 'is', null)
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
}

export async function markTokenUsed(db: DbOrTrx, tokenId: string, at: Date): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', tokenId).execute();
}

/** NOTIFY channel of migration 0015's triggers: a token or user changed (payload: the table), so cached lookups are stale. */
export const AUTH_CHANNEL = 'claimdesk_auth';
