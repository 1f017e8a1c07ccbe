import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROLES } from '../../domain/types.ts';
import { createUser, revokeToken } from '../../accounts/users.ts';
import { bearerToken, principalOf } from '../auth.ts';
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
        return reply.code(201).send(await createUser(db, req.body));
      },
    );

    app.post(
      '/api/tokens/revoke',
      {
        onRequest: ctx.access('any'),
        schema: { tags: ['users'], summary: 'Revoke the token this request is made with (log out)', response: { 200: z.object({ revoked: z.number().int() }) } },
      },
      async (req) => {
        // The access hook has authenticated this very token, so it is there to revoke.
        return revokeToken(db, { token: bearerToken(req) ?? '' });
      },
    );
  };
}
