import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { publishedClaimIds } from '../../../db/repositories/verdicts.ts';
import { loadClaimReview } from '../../publishing/claimreview.ts';
import { notFound } from '../errors.ts';
import { decodeCursor, paginate } from '../pagination.ts';
import { idParam, page, pageQuery } from '../schemas.ts';
import type { RouteContext } from '../context.ts';

const claimReviewSchema = z.record(z.string(), z.unknown()).meta({ id: 'ClaimReview', description: 'schema.org ClaimReview (JSON-LD)' });

type FeedPage = { items: Record<string, unknown>[]; nextCursor: string | null };

export function publishingRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db } = ctx.deps;
  // The feed is public and each page costs one query per item: a page computed a moment ago is served again
  // (per limit and cursor), so a crawler's burst costs the database one computation per page, not one per request.
  const feedCacheMs = ctx.deps.options?.publicCacheMs ?? 2000;
  const feedCache = new Map<string, { at: number; page: Promise<FeedPage> }>();
  return async (app) => {
    app.get(
      '/api/claims/:id/claimreview',
      {
        onRequest: ctx.access('public'),
        schema: { tags: ['publishing'], summary: "schema.org ClaimReview JSON-LD of the claim's latest verdict; 404 before one", params: idParam, response: { 200: claimReviewSchema } },
      },
      async (req, reply) => {
        const found = await loadClaimReview(db, req.params.id, ctx.publisher);
        if (!found) throw notFound(`published verdict for claim ${req.params.id}`);
        void reply.type('application/ld+json; charset=utf-8').header('cache-control', 'public, max-age=60');
        return found.claimReview;
      },
    );

    app.get(
      '/api/claimreviews',
      {
        onRequest: ctx.access('public'),
        schema: { tags: ['publishing'], summary: 'Feed of every published ClaimReview, most recently changed first', querystring: pageQuery, response: { 200: page(claimReviewSchema) } },
      },
      async (req, reply) => {
        void reply.header('cache-control', 'public, max-age=60');
        const after = decodeCursor(req.query.cursor, ['time', 'id']) as [string, string] | null;
        const compute = async (): Promise<FeedPage> => {
          const rows = await publishedClaimIds(db, { after, limit: req.query.limit + 1, excludeWithdrawn: false });
          const { items, nextCursor } = paginate(rows, req.query.limit, (r) => [new Date(r.last).toISOString(), r.claim_id]);
          const reviews = await Promise.all(items.map((r) => loadClaimReview(db, r.claim_id, ctx.publisher)));
          return { items: reviews.flatMap((r) => (r ? [r.claimReview] : [])), nextCursor };
        };
        if (feedCacheMs <= 0) return compute();
        const key = `${req.query.limit}:${req.query.cursor ?? ''}`;
        const now = Date.now();
        let entry = feedCache.get(key);
        if (!entry || now - entry.at >= feedCacheMs) {
          if (feedCache.size >= 500) for (const [k, e] of feedCache) if (now - e.at >= feedCacheMs) feedCache.delete(k);
          if (feedCache.size >= 500) feedCache.clear();
          entry = { at: now, page: compute() };
          feedCache.set(key, entry);
          const mine = entry;
          mine.page.catch(() => {
            if (feedCache.get(key) === mine) feedCache.delete(key);
          });
        }
        return entry.page;
      },
    );
  };
}
