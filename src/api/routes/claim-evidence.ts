import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import {
  appendClaimEvent,
  claimForEvidence,
  findEvidence,
  holdsReviewTask,
  insertPersonEvidence,
  notifyClaimChange,
  setEvidenceStance,
} from '../../../db/repositories/evidence-edits.ts';
import { STANCES } from '../../domain/types.ts';
import type { Principal } from '../../accounts/users.ts';
import { hasRole } from '../../domain/roles.ts';
import { principalOf } from '../auth.ts';
import { HttpProblem, notFound } from '../errors.ts';
import { evidenceSchema, idParam, toEvidence } from '../schemas.ts';
import type { RouteContext } from '../context.ts';

const evidenceParams = idParam.extend({ evidenceId: z.string().regex(/^\d{1,18}$/, 'must be a numeric id') });
// Tabs and line breaks are fine in a quote; other control characters are pasting accidents (and NUL cannot be stored).
const noControl = (s: string) => !/\p{Cc}/u.test(s.replace(/[\t\n\r]/g, ''));

/** Keys events by the caller's Idempotency-Key when given, so a retried click records nothing twice. */
function eventKey(req: FastifyRequest, me: Principal, what: string): string {
  const header = req.headers['idempotency-key'];
  const key = typeof header === 'string' && /^[\w.:-]{8,200}$/.test(header) ? header : randomUUID();
  return `web:${me.user.id}:${what}:${key}`;
}

/** Evidence added or re-judged by a person in the claim workspace: the review task's holder, or an editor. */
export function claimEvidenceRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db } = ctx.deps;

  async function authorise(me: Principal, claimId: string): Promise<{ status: string }> {
    const claim = await claimForEvidence(db, claimId);
    if (!claim) throw notFound(`claim ${claimId}`);
    if (claim.status === 'withdrawn') throw new HttpProblem(409, `claim ${claimId} was withdrawn`);
    if (!hasRole(me.user.role, ['editor']) && !(await holdsReviewTask(db, claimId, me.user.name))) {
      throw new HttpProblem(403, `only the holder of this claim's review task or an editor may change its evidence; you are ${me.user.role} and do not hold it`);
    }
    return claim;
  }

  return async (app) => {
    app.post(
      '/api/claims/:id/evidence',
      {
        onRequest: ctx.access('any'),
        schema: {
          tags: ['claims'],
          summary: "Add evidence by URL with a quote (the review task's holder or an editor); audited and sent live",
          params: idParam,
          body: z.object({
            url: z.url({ protocol: /^https?$/ }).max(2000),
            quote: z.string().trim().min(1).max(5000).refine(noControl, 'must not contain control characters'),
            stance: z.enum(STANCES),
            title: z.string().trim().min(1).max(500).refine(noControl, 'must not contain control characters').optional(),
          }),
          response: { 200: z.object({ evidence: evidenceSchema }), 201: z.object({ evidence: evidenceSchema }) },
        },
      },
      async (req, reply) => {
        const me = principalOf(req);
        const claim = await authorise(me, req.params.id);
        const { url, quote, stance, title } = req.body;
        const contentHash = createHash('sha256').update(`person\n${url}\n${quote}`, 'utf8').digest('hex');
        const result = await db.transaction().execute(async (trx) => {
          const added = await insertPersonEvidence(trx, { claimId: req.params.id, url, title: title ?? null, quote, stance, foundBy: me.user.name, contentHash });
          if (added.created) {
            await appendClaimEvent(trx, { claimId: req.params.id, actor: me.user.name, type: 'evidence_added', payload: { evidenceId: added.row.id, url, stance }, key: `evidence-added-${added.row.id}` });
            await notifyClaimChange(trx, { claimId: req.params.id, type: 'evidence_added', evidenceId: added.row.id, status: claim.status });
          }
          return added;
        });
        // The same url and quote again is the same evidence: answered, not duplicated.
        return reply.code(result.created ? 201 : 200).send({ evidence: toEvidence(result.row) });
      },
    );

    app.patch(
      '/api/claims/:id/evidence/:evidenceId',
      {
        onRequest: ctx.access('any'),
        schema: {
          tags: ['claims'],
          summary: "Change an evidence item's stance (the review task's holder or an editor); audited and sent live",
          params: evidenceParams,
          body: z.object({ stance: z.enum(STANCES) }),
          response: { 200: z.object({ evidence: evidenceSchema }) },
        },
      },
      async (req) => {
        const me = principalOf(req);
        const claim = await authorise(me, req.params.id);
        const row = await db.transaction().execute(async (trx) => {
          const before = await findEvidence(trx, req.params.id, req.params.evidenceId, true);
          if (!before) throw notFound(`evidence ${req.params.evidenceId} of claim ${req.params.id}`);
          if (before.stance === req.body.stance) return before;
          const fresh = await appendClaimEvent(trx, {
            claimId: req.params.id,
            actor: me.user.name,
            type: 'evidence_stance_changed',
            payload: { evidenceId: before.id, from: before.stance, to: req.body.stance },
            key: eventKey(req, me, `stance-${before.id}`),
          });
          if (!fresh) return before;
          const after = await setEvidenceStance(trx, before.id, req.body.stance);
          await notifyClaimChange(trx, { claimId: req.params.id, type: 'evidence_stance_changed', evidenceId: before.id, status: claim.status });
          return after;
        });
        return { evidence: toEvidence(row) };
      },
    );
  };
}
