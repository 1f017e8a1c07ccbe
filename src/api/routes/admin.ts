import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { revokeUserSessions } from '../../../db/repositories/sessions.ts';
import { findAdminUser, listTokens, listUsers, revokeTokenById, updateUser, type AdminUserRow, type TokenRow } from '../../../db/repositories/user-admin.ts';
import { reviewPolicySchema, type StoredReviewPolicy } from '../../domain/review.ts';
import { listReviewPolicies } from '../../../db/repositories/review-policies.ts';
import { ROLES } from '../../domain/types.ts';
import { AuthError } from '../../accounts/users.ts';
import { principalOf } from '../auth.ts';
import { HttpProblem, badRequest, notFound } from '../errors.ts';
import { PASSWORD_MAX_LENGTH } from '../../accounts/passwords.ts';
import { idParam, iso } from '../schemas.ts';
import { issueTokenForUser, setUserPassword } from '../../accounts/user-admin.ts';
import type { RouteContext } from '../context.ts';

export const adminUserSchema = z
  .object({ id: z.string(), name: z.string(), role: z.enum(ROLES), createdAt: iso, disabled: z.boolean(), hasPassword: z.boolean() })
  .meta({ id: 'AdminUser' });
const tokenInfoSchema = z
  .object({ id: z.string(), label: z.string().nullable(), createdAt: iso, lastUsedAt: iso.nullable(), revokedAt: iso.nullable() })
  .meta({ id: 'TokenInfo' });

export function toAdminUser(r: AdminUserRow): z.infer<typeof adminUserSchema> {
  return { id: r.id, name: r.name, role: r.role, createdAt: r.created_at.toISOString(), disabled: r.disabled_at !== null, hasPassword: Boolean(r.has_password) };
}

function toTokenInfo(r: TokenRow): z.infer<typeof tokenInfoSchema> {
  return { id: r.id, label: r.label, createdAt: r.created_at.toISOString(), lastUsedAt: r.last_used_at?.toISOString() ?? null, revokedAt: r.revoked_at?.toISOString() ?? null };
}

const storedPolicySchema = z
  .object({
    version: z.number().int(),
    policy: reviewPolicySchema,
    note: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: iso.nullable(),
    /** True when this deployment runs a policy fixed in code (it cannot be changed through the API). */
    fixed: z.boolean(),
  })
  .meta({ id: 'ReviewPolicyVersion' });

function toStoredPolicy(p: StoredReviewPolicy, fixed: boolean): z.infer<typeof storedPolicySchema> {
  return { version: p.version, policy: p.policy, note: p.note, createdBy: p.createdBy, createdAt: p.createdAt?.toISOString() ?? null, fixed };
}

/** The admin page: users, their passwords and tokens, and the review policy (versioned, editable). Tokens are shown once. */
export function adminRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db } = ctx.deps;
  const admin = ctx.access(['admin']);

  async function userOr404(id: string): Promise<AdminUserRow> {
    const user = await findAdminUser(db, id);
    if (!user) throw notFound(`user ${id}`);
    return user;
  }

  return async (app) => {
    app.get(
      '/api/users',
      { onRequest: admin, schema: { tags: ['admin'], summary: 'Every user with role, status and whether a password is set', response: { 200: z.object({ items: z.array(adminUserSchema) }) } } },
      async () => ({ items: (await listUsers(db)).map(toAdminUser) }),
    );

    app.patch(
      '/api/users/:id',
      {
        onRequest: admin,
        schema: {
          tags: ['admin'],
          summary: "Change a user's role or disable them (a disabled user's tokens and sessions stop working at once)",
          params: idParam,
          body: z.object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional() }).strict(),
          response: { 200: z.object({ user: adminUserSchema }) },
        },
      },
      async (req) => {
        const { role, disabled } = req.body;
        if (role === undefined && disabled === undefined) throw badRequest('role', 'give role or disabled');
        await userOr404(req.params.id);
        // An admin locking themselves out is always a mistake; another admin can do it if it is meant.
        if (BigInt(req.params.id) === BigInt(principalOf(req).user.id) && (disabled === true || (role !== undefined && role !== 'admin'))) {
          throw new HttpProblem(409, 'you cannot disable yourself or take away your own admin role');
        }
        await db.transaction().execute(async (trx) => {
          await updateUser(trx, req.params.id, { ...(role !== undefined ? { role } : {}), ...(disabled !== undefined ? { disabled } : {}) });
          if (disabled === true) await revokeUserSessions(trx, req.params.id);
        });
        // Other processes hear it from the database (NOTIFY claimdesk_auth); this one must not wait for that.
        ctx.authCache.clear();
        return { user: toAdminUser(await userOr404(req.params.id)) };
      },
    );

    app.post(
      '/api/users/:id/password',
      {
        onRequest: admin,
        schema: {
          tags: ['admin'],
          summary: "Set or reset a user's password; ends that user's web sessions",
          params: idParam,
          body: z.object({ password: z.string().max(PASSWORD_MAX_LENGTH) }),
          response: { 200: z.object({ user: adminUserSchema, sessionsEnded: z.number().int() }) },
        },
      },
      async (req) => {
        await userOr404(req.params.id);
        try {
          const { sessionsEnded } = await setUserPassword(db, { userId: req.params.id }, req.body.password);
          return { user: toAdminUser(await userOr404(req.params.id)), sessionsEnded };
        } catch (err) {
          if (err instanceof AuthError && err.code === 'invalid_password') throw badRequest('password', err.message.replace(/^password /, ''));
          throw err;
        }
      },
    );

    app.get(
      '/api/users/:id/tokens',
      { onRequest: admin, schema: { tags: ['admin'], summary: "A user's API tokens (never their values), newest first", params: idParam, response: { 200: z.object({ items: z.array(tokenInfoSchema) }) } } },
      async (req) => {
        await userOr404(req.params.id);
        return { items: (await listTokens(db, req.params.id)).map(toTokenInfo) };
      },
    );

    app.post(
      '/api/users/:id/tokens',
      {
        onRequest: admin,
        schema: {
          tags: ['admin'],
          summary: 'Issue another API token for a user; the value is returned only here',
          params: idParam,
          body: z.object({ label: z.string().trim().min(1).max(200).optional() }).optional(),
          response: { 201: z.object({ token: z.string(), item: tokenInfoSchema }) },
        },
      },
      async (req, reply) => {
        await userOr404(req.params.id);
        const { token, row } = await issueTokenForUser(db, req.params.id, req.body?.label ?? `issued by ${principalOf(req).user.name}`);
        return reply.code(201).send({ token, item: toTokenInfo(row) });
      },
    );

    app.delete(
      '/api/tokens/:id',
      { onRequest: admin, schema: { tags: ['admin'], summary: 'Revoke an API token by id (its holder gets 401 from the next request)', params: idParam, response: { 204: z.undefined() } } },
      async (req, reply) => {
        if (!(await revokeTokenById(db, req.params.id))) throw notFound(`token ${req.params.id}`);
        ctx.authCache.clear();
        return reply.code(204).send();
      },
    );

    app.get(
      '/api/policy',
      {
        onRequest: admin,
        schema: {
          tags: ['admin'],
          summary: 'The review policy new claims start with and claims in flight follow (durations in milliseconds), with its version',
          response: { 200: storedPolicySchema },
        },
      },
      async () => toStoredPolicy(await ctx.deps.claimWorkflows.currentPolicy(), ctx.deps.claimWorkflows.fixedPolicy !== null),
    );

    app.put(
      '/api/policy',
      {
        onRequest: admin,
        schema: {
          tags: ['admin'],
          summary:
            'Save a new review policy version (validated, audited): new claims start with it and every claim in flight follows it (at once, or at its next timer). expectedVersion refuses the save (409) if someone saved meanwhile; saving the policy in force again stores nothing',
          body: z
            .object({
              policy: reviewPolicySchema.strict(),
              note: z.string().trim().max(2000).optional(),
              expectedVersion: z.number().int().min(0).optional(),
            })
            .strict(),
          response: { 200: storedPolicySchema.extend({ changed: z.boolean(), rolloutWorkflowId: z.string().nullable() }) },
        },
      },
      async (req) => {
        const principal = principalOf(req);
        const { stored, changed, rolloutWorkflowId } = await ctx.deps.claimWorkflows.savePolicy({
          policy: req.body.policy,
          note: req.body.note && req.body.note !== '' ? req.body.note : null,
          actor: principal.actor,
          ...(req.body.expectedVersion !== undefined ? { expectedVersion: req.body.expectedVersion } : {}),
        });
        if (changed) req.log.info({ version: stored.version, by: principal.user.name }, 'review policy saved');
        return { ...toStoredPolicy(stored, false), changed, rolloutWorkflowId };
      },
    );

    app.get(
      '/api/policy/versions',
      {
        onRequest: admin,
        schema: {
          tags: ['admin'],
          summary: 'Every saved review policy version, newest first: who saved it, when and why',
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict(),
          response: { 200: z.object({ items: z.array(storedPolicySchema) }) },
        },
      },
      async (req) => ({ items: (await listReviewPolicies(db, req.query.limit)).map((p) => toStoredPolicy(p, false)) }),
    );
  };
}
