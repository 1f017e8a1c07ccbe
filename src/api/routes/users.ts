import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { revokeSessionById } from '../../../db/repositories/sessions.ts';
import { ROLES } from '../../domain/types.ts';
import { createUser, revokeToken } from '../../accounts/users.ts';
import { bearerToken, principalOf } from '../auth.ts';
import { badRequest } from '../errors.ts';
import { PASSWORD_MAX_LENGTH, passwordProblem } from '../../accounts/passwords.ts';
import { setUserPassword } from '../../accounts/user-admin.ts';
import { userSchema } from '../schemas.ts';
import type { RouteContext } from '../context.ts';

export function userRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db } = ctx.deps;
  return async (app) => {
    app.get('/api/me', { onRequest: ctx.access('any'), schema: { tags: ['users'], summary: 'Who this token belongs to', response: { 200: z.object({ user: userSchema }) } } }, async (req) => ({
      user: principalOf(req).user,
    }));

    app.post(
      '/api/users',
      {
        onRequest: ctx.access(['admin']),
        schema: {
          tags: ['users'],
          summary: 'Create a user, optionally with a web sign-in password; the token is returned once',
          body: z.object({ name: z.string().trim().min(1).max(100), role: z.enum(ROLES), password: z.string().max(PASSWORD_MAX_LENGTH).optional() }),
          response: { 201: z.object({ user: userSchema, token: z.string() }) },
        },
      },
      async (req, reply) => {
        const { password, ...input } = req.body;
        const problem = password === undefined ? null : passwordProblem(password);
        if (problem) throw badRequest('password', problem);
        // One transaction: a user whose password could not be set is not left behind without one.
        const created = await db.transaction().execute(async (trx) => {
          const result = await createUser(trx, input);
          if (password !== undefined) await setUserPassword(trx, { userId: result.user.id }, password);
          return result;
        });
        return reply.code(201).send(created);
      },
    );

    app.post(
      '/api/tokens/revoke',
      {
        onRequest: ctx.access('any'),
        schema: { tags: ['users'], summary: 'Revoke the token this request is made with (log out)', response: { 200: z.object({ revoked: z.number().int() }) } },
      },
      async (req) => {
        // Made with the web app's cookie: log out means ending that session.
        const sessionId = principalOf(req).sessionId;
        if (sessionId) return { revoked: await revokeSessionById(db, sessionId) };
        // The access hook has authenticated this very token, so it is there to revoke.
        const revoked = await revokeToken(db, { token: bearerToken(req) ?? '' });
        // Other processes hear it from the database (NOTIFY claimdesk_auth); this one must not wait for that.
        ctx.authCache.clear();
        return revoked;
      },
    );
  };
}
