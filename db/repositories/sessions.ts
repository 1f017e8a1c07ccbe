import type { DbOrTrx } from '../index.ts';
import type { Role } from '../../src/domain/types.ts';

// Sessions and passwords of web sign-in. Plain functions on db | trx; callers hash ids and passwords.

export interface SessionUserRow {
  session_id: string;
  expires_at: Date;
  last_seen_at: Date;
  user_id: string;
  name: string;
  role: Role;
  created_at: Date;
}

/**
 * Starts a session only while the user still has the password hash the sign-in checked and is not disabled: a
 * reset or a disable that lands during the (slow) password check must not be outlived by the session it began.
 * Undefined when that no longer holds.
 */
export async function insertSession(
  db: DbOrTrx,
  input: { idHash: string; userId: string; checkedPasswordHash: string; expiresAt: Date },
): Promise<{ id: string; created_at: Date; last_seen_at: Date; expires_at: Date } | undefined> {
  return db
    .insertInto('sessions')
    .columns(['id_hash', 'user_id', 'expires_at'])
    .expression((eb) =>
      eb
        .selectFrom('users')
        .select([eb.val(input.idHash).as('id_hash'), 'id', eb.val(input.expiresAt).as('expires_at')])
        .where('id', '=', input.userId)
        .where('password_hash', '=', input.checkedPasswordHash)
        .where('disabled_at', 'is', null),
    )
    .returning(['id', 'created_at', 'last_seen_at', 'expires_at'])
    .executeTakeFirst();
}

/** A session that is neither revoked, past its absolute end, idle too long, nor of a disabled user. */
export async function findLiveSession(db: DbOrTrx, idHash: string, idleSince: Date): Promise<SessionUserRow | undefined> {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.id as session_id', 's.expires_at', 's.last_seen_at', 'u.id as user_id', 'u.name', 'u.role', 'u.created_at'])
    .where('s.id_hash', '=', idHash)
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', new Date())
    .where('s.last_seen_at', '>', idleSince)
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
}

export async function touchSession(db: DbOrTrx, sessionId: string, at: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', sessionId).execute();
}

export async function revokeSessionByHash(db: DbOrTrx, idHash: string): Promise<number> {
  const res = await db.updateTable('sessions').set({ revoked_at: new Date() }).where('id_hash', '=', idHash).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function revokeSessionById(db: DbOrTrx, sessionId: string): Promise<number> {
  const res = await db.updateTable('sessions').set({ revoked_at: new Date() }).where('id', '=', sessionId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function revokeUserSessions(db: DbOrTrx, userId: string): Promise<number> {
  const res = await db.updateTable('sessions').set({ revoked_at: new Date() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function findUserForSignIn(db: DbOrTrx, name: string): Promise<{ id: string; name: string; role: Role; created_at: Date; password_hash: string | null; disabled_at: Date | null } | undefined> {
  return db.selectFrom('users').select(['id', 'name', 'role', 'created_at', 'password_hash', 'disabled_at']).where('name', '=', name).executeTakeFirst();
}

export async function setPasswordHash(db: DbOrTrx, where: { userId: string } | { name: string }, passwordHash: string): Promise<{ id: string } | undefined> {
  let q = db.updateTable('users').set({ password_hash: passwordHash });
  q = 'userId' in where ? q.where('id', '=', where.userId) : q.where('name', '=', where.name);
  return q.returning(['id']).executeTakeFirst();
}
