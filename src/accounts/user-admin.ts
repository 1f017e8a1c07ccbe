import { randomBytes } from 'node:crypto';
import type { DbOrTrx } from '../../db/index.ts';
import { revokeUserSessions, setPasswordHash } from '../../db/repositories/sessions.ts';
import { insertTokenHash, type TokenRow } from '../../db/repositories/user-admin.ts';
import { AuthError, hashToken } from './users.ts';
import { hashPassword, passwordProblem } from './passwords.ts';

/**
 * Sets (or resets) a password and ends every web session of that user, so a reset after a leak locks the
 * holder of an old cookie out at once. Bearer tokens are separate credentials and stay.
 */
export async function setUserPassword(db: DbOrTrx, where: { userId: string } | { name: string }, password: string): Promise<{ userId: string; sessionsEnded: number }> {
  const problem = passwordProblem(password);
  if (problem) throw new AuthError('invalid_password', `password ${problem}`);
  const hash = await hashPassword(password);
  const apply = async (trx: DbOrTrx) => {
    const row = await setPasswordHash(trx, where, hash);
    if (!row) throw new AuthError('user_not_found', 'userId' in where ? 'no such user' : `no user named ${JSON.stringify(where.name)}`);
    return { userId: row.id, sessionsEnded: await revokeUserSessions(trx, row.id) };
  };
  // One transaction (the caller's, when it has one): the new password never stands while sessions begun with the
  // old one live on.
  return db.isTransaction ? apply(db) : db.transaction().execute(apply);
}

/** Another token for a user by id; the value is returned once, only its hash is kept. */
export async function issueTokenForUser(db: DbOrTrx, userId: string, label: string | null): Promise<{ token: string; row: TokenRow }> {
  // Same shape as the tokens auth.ts issues: a recognisable prefix and 256 random bits.
  const token = 'cdk_' + randomBytes(32).toString('base64url');
  const row = await insertTokenHash(db, userId, hashToken(token), label);
  return { token, row };
}
