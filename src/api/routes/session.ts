import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { findUserForSignIn, revokeSessionByHash } from '../../../db/repositories/sessions.ts';
import { ROLES } from '../../domain/types.ts';
import { HttpProblem } from '../errors.ts';
import { PASSWORD_MAX_LENGTH, verifyPassword } from '../../accounts/passwords.ts';
import { userSchema } from '../schemas.ts';
import {
  assertSameOriginForChange,
  clearSessionCookie,
  hashSessionId,
  resolveSession,
  sessionCookie,
  sessionSettings,
  setSessionCookie,
  startSession,
} from '../session.ts';
import type { RouteContext } from '../context.ts';

const sessionResponse = z.object({ user: userSchema, expiresAt: z.string() }).meta({ id: 'Session' });
const WRONG = 'name or password is wrong';

/** Sign-in for the web app: name + password → an httpOnly session cookie; bearer tokens are unaffected. */
export function sessionRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db } = ctx.deps;
  const settings = sessionSettings(ctx.deps.config);
  const demo = ctx.deps.options?.demo ?? null;
  return async (app) => {
    app.post(
      '/api/session',
      {
        schema: {
          tags: ['session'],
          summary: 'Sign in with name and password; sets the claimdesk_session cookie',
          security: [],
          body: z.object({ name: z.string().trim().min(1).max(100), password: z.string().min(1).max(PASSWORD_MAX_LENGTH) }),
          response: { 200: sessionResponse },
        },
      },
      async (req, reply) => {
        // A browser always sends Origin here; refusing other origins stops a page elsewhere signing the visitor in.
        if (req.headers.origin !== undefined) assertSameOriginForChange(req);
        // Guessing is slowed per address and per name: only failures count, in Postgres, so every API process agrees,
        // and an address or name past its limit is refused before its password is even checked.
        await ctx.signInFailures.assertAllowed(req);
        const user = await findUserForSignIn(db, req.body.name);
        // The hash is checked even for an unknown name, so the answer and its timing say nothing about which was wrong.
        const ok = await verifyPassword(req.body.password, user?.password_hash ?? null);
        if (!user || !ok || user.disabled_at !== null || user.password_hash === null) {
          await ctx.signInFailures.fail(req);
          throw new HttpProblem(401, WRONG);
        }
        const previous = sessionCookie(req);
        if (previous) await revokeSessionByHash(db, hashSessionId(previous));
        const session = await startSession(db, user.id, user.password_hash, settings);
        // The password was reset (or the user disabled) while it was being checked: the old password opens nothing.
        if (!session) throw new HttpProblem(401, WRONG);
        setSessionCookie(reply, session.id, session.absoluteEnd, settings);
        req.log.info({ userId: user.id }, 'signed in');
        return { user: { id: user.id, name: user.name, role: user.role, createdAt: user.created_at.toISOString() }, expiresAt: session.expiresAt.toISOString() };
      },
    );

    app.get(
      '/api/session',
      { schema: { tags: ['session'], summary: 'The signed-in user and when the session ends; 401 when not signed in', security: [], response: { 200: sessionResponse } } },
      async (req) => {
        const raw = sessionCookie(req);
        const principal = raw ? await resolveSession(db, raw, settings) : null;
        if (!principal) throw new HttpProblem(401, 'not signed in');
        return { user: principal.user, expiresAt: principal.expiresAt.toISOString() };
      },
    );

    app.delete(
      '/api/session',
      { schema: { tags: ['session'], summary: 'Sign out: ends the session server-side and clears the cookie', security: [], response: { 204: z.undefined() } } },
      async (req, reply) => {
        const raw = sessionCookie(req);
        if (raw) {
          assertSameOriginForChange(req);
          await revokeSessionByHash(db, hashSessionId(raw));
        }
        clearSessionCookie(reply, settings);
        return reply.code(204).send();
      },
    );

    app.get(
      '/api/session/demo',
      {
        schema: {
          tags: ['session'],
          summary: 'The demo users and their passwords, listed only when the service runs in demo mode',
          security: [],
          response: { 200: z.object({ demo: z.boolean(), users: z.array(z.object({ name: z.string(), role: z.enum(ROLES), password: z.string() })) }) },
        },
      },
      async () => (demo ? { demo: true, users: demo.users.map(({ name, role, password }) => ({ name, role, password })) } : { demo: false, users: [] }),
    );
  };
}
