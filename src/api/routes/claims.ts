import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { articleExists } from '../../../db/repositories/articles.ts';
import { claimExists, findClaim, getClaim, insertClaim, insertClaimOnce, listClaims, setClaimWorkflowIdIfUnset } from '../../../db/repositories/claims.ts';
import { eventsOfClaim } from '../../../db/repositories/events.ts';
import { evidenceOfClaim } from '../../../db/repositories/evidence.ts';
import { tasksOfClaim } from '../../../db/repositories/tasks.ts';
import { verdictsOfClaim } from '../../../db/repositories/verdicts.ts';
import { claimFingerprint } from '../../domain/fingerprint.ts';
import { CLAIM_STATUSES, PRIORITIES } from '../../domain/types.ts';
import { badRequest, notFound } from '../errors.ts';
import { decodeCursor, paginate } from '../pagination.ts';
import { MAX_SEARCH_QUERY_CHARS, claimLiveStateSchema, claimSchema, evidenceSchema, eventSchema, idParam, page, pageQuery, taskSchema, toClaim, toEvent, toEvidence, toTask, toVerdict, verdictSchema } from '../schemas.ts';
import { principalOf } from '../auth.ts';
import { idempotencyOptions } from '../idempotency.ts';
import type { RouteContext } from '../context.ts';

export const claimInputSchema = z.object({
  text: z.string().trim().min(3).max(5000),
  claimant: z.string().trim().min(1).max(300).optional(),
  articleId: z.string().regex(/^\d{1,18}$/, 'must be an article id').optional(),
});

/** claims.idempotency_key of a claim entered through POST /api/claims: the user-scoped request key, hashed to a fixed length. */
export function handEnteredClaimKey(scopedKey: string): string {
  return `api-claim:${createHash('sha256').update(scopedKey, 'utf8').digest('hex')}`;
}

const reasonBody = z.object({ reason: z.string().trim().min(1).max(2000) });

export function claimRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db, claimWorkflows } = ctx.deps;
  return async (app) => {
    app.post(
      '/api/claims',
      {
        onRequest: ctx.access('any'),
        schema: { tags: ['claims'], summary: 'Enter a claim by hand; it skips extraction and goes straight to research', body: claimInputSchema, response: { 202: z.object({ claim: claimSchema, workflowId: z.string() }) } },
      },
      async (req, reply) => {
        const { text, claimant, articleId } = req.body;
        if (text.includes('\u0000')) throw badRequest('text', 'must not contain NUL characters');
        if (articleId) {
          if (!(await articleExists(db, articleId))) throw badRequest('articleId', `no article ${articleId}`);
        }
        const values = { text, claimant: claimant ?? null, article_id: articleId ?? null, status: 'researching' as const, fingerprint: claimFingerprint(text), submitted_by: principalOf(req).user.id };
        // With an Idempotency-Key the claim row is keyed by it: a retry that runs again (the API died after the
        // insert, before the key recorded the answer) finds the claim the first attempt made instead of adding one.
        const { idempotencyKey } = idempotencyOptions(req);
        const row = idempotencyKey === undefined ? await insertClaim(db, values) : await insertClaimOnce(db, { ...values, idempotency_key: handEnteredClaimKey(idempotencyKey) });
        const { workflowId } = await claimWorkflows.startClaim(row.id);
        const saved = await setClaimWorkflowIdIfUnset(db, row.id, workflowId);
        return reply.code(202).send({ claim: toClaim(saved ?? row), workflowId });
      },
    );

    app.get(
      '/api/claims',
      {
        onRequest: ctx.access('any'),
        schema: {
          tags: ['claims'],
          summary: 'Claims, newest first; filter by status, text or article',
          querystring: pageQuery.extend({ status: z.enum(CLAIM_STATUSES).optional(), q: z.string().trim().min(1).max(MAX_SEARCH_QUERY_CHARS).optional(), articleId: z.string().regex(/^\d{1,18}$/).optional() }),
          response: { 200: page(claimSchema) },
        },
      },
      async (req) => {
        const { limit, cursor, status, q, articleId } = req.query;
        const after = decodeCursor(cursor, ['time', 'id']) as [string, string] | null;
        const rows = await listClaims(db, { status, articleId, q, after, limit: limit + 1 });
        const { items, nextCursor } = paginate(rows, limit, (r) => [r.created_at.toISOString(), r.id]);
        return { items: items.map(toClaim), nextCursor };
      },
    );

    app.get(
      '/api/claims/:id',
      {
        onRequest: ctx.access('any'),
        schema: {
          tags: ['claims'],
          summary: 'A claim with its evidence, tasks, verdicts and audit events',
          params: idParam,
          response: { 200: z.object({ claim: claimSchema, evidence: z.array(evidenceSchema), tasks: z.array(taskSchema), verdicts: z.array(verdictSchema), events: z.array(eventSchema) }) },
        },
      },
      async (req) => {
        const id = req.params.id;
        const claim = await findClaim(db, id);
        if (!claim) throw notFound(`claim ${id}`);
        const [evidence, tasks, verdicts, events] = await Promise.all([evidenceOfClaim(db, id), tasksOfClaim(db, id), verdictsOfClaim(db, id), eventsOfClaim(db, id)]);
        return { claim: toClaim(claim), evidence: evidence.map(toEvidence), tasks: tasks.map(toTask), verdicts: verdicts.map(toVerdict), events: events.map(toEvent) };
      },
    );

    const actionResponse = z.object({ claim: claimSchema, result: z.object({ claimId: z.string(), status: z.enum(CLAIM_STATUSES), taskId: z.string().nullable(), verdictId: z.string().nullable() }) });

    async function claimAction(claimId: string, run: () => Promise<{ claimId: string; status: (typeof CLAIM_STATUSES)[number]; taskId: string | null; verdictId: string | null }>) {
      if (!(await claimExists(db, claimId))) throw notFound(`claim ${claimId}`);
      const result = await run();
      const claim = await getClaim(db, claimId);
      return { claim: toClaim(claim), result };
    }

    app.post(
      '/api/claims/:id/withdraw',
      {
        onRequest: ctx.access(['editor']),
        schema: { tags: ['claims'], summary: 'Withdraw a claim from review', params: idParam, body: reasonBody, response: { 200: actionResponse } },
      },
      async (req) => claimAction(req.params.id, () => claimWorkflows.act(req.params.id, { type: 'withdraw', actor: principalOf(req).actor, reason: req.body.reason }, idempotencyOptions(req))),
    );

    app.post(
      '/api/claims/:id/priority',
      {
        onRequest: ctx.access(['editor']),
        schema: { tags: ['claims'], summary: 'Change the priority of a claim in review', params: idParam, body: z.object({ priority: z.enum(PRIORITIES) }), response: { 200: actionResponse } },
      },
      async (req) => claimAction(req.params.id, () => claimWorkflows.act(req.params.id, { type: 'reprioritize', actor: principalOf(req).actor, priority: req.body.priority }, idempotencyOptions(req))),
    );

    app.post(
      '/api/claims/:id/corrections',
      {
        onRequest: ctx.access(['editor']),
        schema: { tags: ['claims'], summary: 'Open a correction round that ends in verdict version n+1', params: idParam, body: reasonBody, response: { 202: z.object({ workflowId: z.string() }) } },
      },
      async (req, reply) => {
        if (!(await claimExists(db, req.params.id))) throw notFound(`claim ${req.params.id}`);
        const { workflowId } = await claimWorkflows.requestCorrection(req.params.id, principalOf(req).actor, req.body.reason, idempotencyOptions(req));
        return reply.code(202).send({ workflowId });
      },
    );

    app.get(
      '/api/claims/:id/live',
      {
        onRequest: ctx.access('any'),
        schema: { tags: ['claims'], summary: "The claim workflow's live state (a Temporal query), for debugging and the workspace", params: idParam, response: { 200: claimLiveStateSchema } },
      },
      async (req) => claimWorkflows.liveState(req.params.id),
    );
  };
}
