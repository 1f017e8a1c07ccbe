import type { FastifyReply } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DbOrTrx } from '../../../db/index.ts';
import { claimReviewOf, loadPublishedVerdict } from '../claimreview.ts';
import { decodeCursor, paginate } from '../pagination.ts';
import { pageQuery } from '../schemas.ts';
import { renderNotFound, renderVerdictList, renderVerdictPage, type ResolvedCitation } from '../verdict-page.ts';
import type { RouteContext } from '../context.ts';

const storedCitation = z.object({
  sourceId: z.string().optional(),
  evidenceId: z.string().optional(),
  url: z.string().optional(),
  quote: z.string().optional(),
  stance: z.string().default('context'),
});

/** Citations name a library source or an evidence row by id; the page shows their url and title. */
async function resolveCitations(db: DbOrTrx, claimId: string, raw: unknown[]): Promise<ResolvedCitation[]> {
  const citations = raw.flatMap((c) => {
    const parsed = storedCitation.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  });
  const sourceIds = [...new Set(citations.flatMap((c) => (c.sourceId && /^\d{1,18}$/.test(c.sourceId) ? [c.sourceId] : [])))];
  const evidenceIds = [...new Set(citations.flatMap((c) => (c.evidenceId && /^\d{1,18}$/.test(c.evidenceId) ? [c.evidenceId] : [])))];
  const [sources, evidence] = await Promise.all([
    sourceIds.length ? db.selectFrom('sources').select(['id', 'url', 'title']).where('id', 'in', sourceIds).execute() : [],
    evidenceIds.length ? db.selectFrom('claim_evidence').select(['id', 'url', 'title']).where('claim_id', '=', claimId).where('id', 'in', evidenceIds).execute() : [],
  ]);
  const sourceById = new Map(sources.map((s) => [s.id, s]));
  const evidenceById = new Map(evidence.map((e) => [e.id, e]));
  return citations.map((c) => {
    const ref = (c.sourceId ? sourceById.get(c.sourceId) : undefined) ?? (c.evidenceId ? evidenceById.get(c.evidenceId) : undefined);
    return { url: c.url ?? ref?.url ?? null, title: ref?.title ?? null, quote: c.quote ?? null, stance: c.stance };
  });
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return (
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      // Nothing on these pages runs script (JSON-LD is data): forbid it outright, in case escaping is ever missed.
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
      .header('x-content-type-options', 'nosniff')
      .send(body)
  );
}

/** Public, server-rendered verdict pages: the `url` every ClaimReview points at. */
export function pageRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db } = ctx.deps;
  return async (app) => {
    app.get(
      '/claims/:id',
      {
        onRequest: ctx.access('public'),
        // Any id is accepted so an unknown or malformed one gets the HTML 404 page, not an API error.
        schema: { tags: ['publishing'], summary: "Public HTML page of a claim's latest verdict, with its ClaimReview JSON-LD embedded", params: z.object({ id: z.string().max(100) }) },
      },
      async (req, reply) => {
        const id = req.params.id;
        const found = /^\d{1,18}$/.test(id) ? await loadPublishedVerdict(db, id) : null;
        if (!found || found.claim.status === 'withdrawn') return html(reply, 404, renderNotFound(`There is no published fact check for claim ${id}.`));
        const citations = await resolveCitations(db, id, found.latest.citations);
        void reply.header('cache-control', 'public, max-age=60');
        return html(reply, 200, renderVerdictPage({ found, claimReview: claimReviewOf(found, ctx.publisher), citations, publisherName: ctx.publisher.name }));
      },
    );

    app.get(
      '/claims',
      { onRequest: ctx.access('public'), schema: { tags: ['publishing'], summary: 'Public HTML list of published verdicts, most recently changed first', querystring: pageQuery } },
      async (req, reply) => {
        const { limit } = req.query;
        const after = decodeCursor(req.query.cursor, ['string', 'string']);
        let q = db
          .selectFrom('verdicts')
          .innerJoin('claims', 'claims.id', 'verdicts.claim_id')
          .where('claims.status', '<>', 'withdrawn')
          .select(['verdicts.claim_id', (eb) => eb.fn.max('verdicts.recorded_at').as('last')])
          .groupBy('verdicts.claim_id');
        if (after) q = q.having(sql<boolean>`(max(verdicts.recorded_at), verdicts.claim_id) < (${after[0]}::timestamptz, ${after[1]}::bigint)`);
        const rows = await q.orderBy('last', 'desc').orderBy('verdicts.claim_id', 'desc').limit(limit + 1).execute();
        const { items, nextCursor } = paginate(rows, limit, (r) => [new Date(r.last).toISOString(), r.claim_id]);
        const ids = items.map((r) => r.claim_id);
        const latest = ids.length
          ? await db
              .selectFrom('verdicts')
              .innerJoin('claims', 'claims.id', 'verdicts.claim_id')
              .distinctOn('verdicts.claim_id')
              .select(['verdicts.claim_id', 'verdicts.rating', 'verdicts.version', 'verdicts.recorded_at', 'claims.text', 'claims.claimant'])
              .where('verdicts.claim_id', 'in', ids)
              .orderBy('verdicts.claim_id')
              .orderBy('verdicts.version', 'desc')
              .execute()
          : [];
        const byClaim = new Map(latest.map((v) => [v.claim_id, v]));
        const list = items.flatMap((r) => {
          const v = byClaim.get(r.claim_id);
          return v ? [{ claimId: r.claim_id, text: v.text, claimant: v.claimant, rating: v.rating, version: v.version, updatedAt: v.recorded_at }] : [];
        });
        void reply.header('cache-control', 'public, max-age=60');
        return html(reply, 200, renderVerdictList({ items: list, nextCursor, limit, publisherName: ctx.publisher.name }));
      },
    );
  };
}
