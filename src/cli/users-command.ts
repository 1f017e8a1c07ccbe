import type { Db } from '../../db/index.ts';
import { AuthError, createUser, issueToken, revokeToken } from '../accounts/users.ts';
import { ROLES, type Role } from '../domain/types.ts';

export interface UsersIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

// 0 done; 2 the user can fix it (bad role, unknown user, name taken); 1 anything else.
function fail(io: UsersIo, err: unknown): number {
  if (err instanceof AuthError) {
    io.stderr(`users: ${err.message}\n`);
    return 2;
  }
  throw err;
}

/** `claimdesk users add --name N --role R`: prints the new token alone on stdout, once. */
export async function runUsersAdd(db: Db, opts: { name: string; role: string }, io: UsersIo): Promise<number> {
  if (!(ROLES as readonly string[]).includes(opts.role)) {
    io.stderr(`users: --role must be one of ${ROLES.join(', ')}, got "${opts.role}"\n`);
    return 2;
  }
  try {
    const { token, user } = await createUser(db, { name: opts.name, role: opts.role as Role, label: 'claimdesk users add' });
    io.stdout(`${token}\n`);
    io.stderr(`created ${user.role} ${user.name}; the token above is shown only once\n`);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}

/** `claimdesk users token --name N`: another token for an existing user, printed alone. */
export async function runUsersToken(db: Db, opts: { name: string }, io: UsersIo): Promise<number> {
  try {
    const { token } = await issueToken(db, { name: opts.name, label: 'claimdesk users token' });
    io.stdout(`${token}\n`);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}

/** `claimdesk users revoke-token (--token T | --name N)`: one token, or every token of a user. */
export async function runUsersRevoke(db: Db, opts: { token?: string; name?: string }, io: UsersIo): Promise<number> {
  if ((opts.token === undefined) === (opts.name === undefined)) {
    io.stderr('users: give exactly one of --token or --name\n');
    return 2;
  }
  try {
    const { revoked } = await revokeToken(db, opts.token !== undefined ? { token: opts.token } : { userName: opts.name ?? '' });
    io.stderr(`revoked ${revoked} token${revoked === 1 ? '' : 's'}\n`);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}
