import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { revokeSessionById } from '../../../db/repositories/sessions.ts';
import { ROLES } from '../../domain/types.ts';
import { AuthError, createUser, principalOf, revokeToken } from '../auth.ts';
import { HttpProblem } from '../errors.ts';
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
          summary: 'Create a user; the token is returned once',
          body: z.object({ name: z.string().trim().min(1).max(100), role: z.enum(ROLES) }),
          response: { 201: z.object({ user: userSchema, token: z.string() }) },
        },
      },
      async (req, reply) => {
        try {
          return reply.code(201).send(await createUser(db, req.body));
        } catch (err) {
          if (err instanceof AuthError) throw new HttpProblem(err.code === 'user_exists' ? 409 : 400, err.message, err.code === 'user_exists' ? {} : { errors: [{ field: 'name', message: err.message }] });
          throw err;
        }
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
        const header = req.headers.authorization ?? '';
        const token = header.replace(/^Bearer\s+/i, '').trim();
        return revokeToken(db, { token });
      },
    );
  };
}
