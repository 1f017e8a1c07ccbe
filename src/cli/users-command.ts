import type { Db } from '../../db/index.ts';
import { AuthError, createUser, issueToken, revokeToken } from '../accounts/users.ts';
import { passwordProblem } from '../accounts/passwords.ts';
import { setUserPassword } from '../accounts/user-admin.ts';
import { ROLES, type Role } from '../domain/types.ts';

export interface UsersIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Only read with --password-stdin: a password never goes through argv, where `ps` and shell history see it. */
  readStdin?: () => Promise<Buffer>;
}

// 0 done; 2 the user can fix it (bad role, unknown user, name taken); 1 anything else.
function fail(io: UsersIo, err: unknown): number {
  if (err instanceof AuthError) {
    io.stderr(`users: ${err.message}\n`);
    return 2;
  }
  throw err;
}

/** `claimdesk users add --name N --role R [--password-stdin]`: prints the new token alone on stdout, once. */
export async function runUsersAdd(db: Db, opts: { name: string; role: string; passwordStdin?: boolean }, io: UsersIo): Promise<number> {
  if (!(ROLES as readonly string[]).includes(opts.role)) {
    io.stderr(`users: --role must be one of ${ROLES.join(', ')}, got "${opts.role}"\n`);
    return 2;
  }
  const password = opts.passwordStdin ? await readPassword(io) : null;
  if (opts.passwordStdin && password === null) return 2;
  try {
    const { token, user } = await db.transaction().execute(async (trx) => {
      const created = await createUser(trx, { name: opts.name, role: opts.role as Role, label: 'claimdesk users add' });
      if (password !== null) await setUserPassword(trx, { userId: created.user.id }, password);
      return created;
    });
    io.stdout(`${token}\n`);
    if (password !== null) io.stderr(`password set for ${user.name}: they can sign in to the web app\n`);
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
export async function runUsersRevoke(db: Db, opts: { token?: string; tokenStdin?: boolean; name?: string }, io: UsersIo): Promise<number> {
  if (opts.token !== undefined) {
    // argv is visible to every user of the machine (ps, /proc) and lands in shell history: refused, not just discouraged.
    io.stderr(`users: a token is never passed as an argument (ps and shell history see it); pipe it: printf '%s' "$TOKEN" | claimdesk users revoke-token --token-stdin\n`);
    return 2;
  }
  if ((opts.tokenStdin === true) === (opts.name !== undefined)) {
    io.stderr('users: give exactly one of --token-stdin or --name\n');
    return 2;
  }
  let token: string | null = null;
  if (opts.tokenStdin) {
    if (!io.readStdin) throw new Error('this command needs stdin');
    token = (await io.readStdin()).toString('utf8').trim();
    if (token === '' || /\s/.test(token)) {
      io.stderr('users: stdin must hold exactly one token\n');
      return 2;
    }
  }
  try {
    const { revoked } = await revokeToken(db, token !== null ? { token } : { userName: opts.name ?? '' });
    io.stderr(`revoked ${revoked} token${revoked === 1 ? '' : 's'}\n`);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}

/** The password piped on stdin, without its trailing newline; null (after saying why) when unusable. */
async function readPassword(io: UsersIo): Promise<string | null> {
  if (!io.readStdin) throw new Error('this command needs stdin');
  const password = (await io.readStdin()).toString('utf8').replace(/\r?\n$/, '');
  const problem = passwordProblem(password);
  if (problem) {
    io.stderr(`users: the password on stdin ${problem}\n`);
    return null;
  }
  return password;
}

/** `claimdesk users set-password --name N --password-stdin`: sets or resets a password; ends the user's web sessions. */
export async function runUsersSetPassword(db: Db, opts: { name: string; passwordStdin?: boolean }, io: UsersIo): Promise<number> {
  if (!opts.passwordStdin) {
    io.stderr('users: pass the password on stdin with --password-stdin (never as an argument)\n');
    return 2;
  }
  const password = await readPassword(io);
  if (password === null) return 2;
  try {
    await setUserPassword(db, { name: opts.name }, password);
    io.stderr(`password set for ${opts.name}; their open web sessions have ended\n`);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}
