import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { claimReviewOf, loadPublishedVerdict } from '../../publishing/claimreview.ts';
import { publishedVerdictPage, resolveCitations } from '../../publishing/public-pages.ts';
import { renderNotFound, renderVerdictList, renderVerdictPage } from '../../publishing/verdict-page.ts';
import { decodeCursor, paginate } from '../pagination.ts';
import { pageQuery } from '../schemas.ts';
import type { RouteContext } from '../context.ts';

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
        const after = decodeCursor(req.query.cursor, ['time', 'id']) as [string, string] | null;
        const { rows, items: list } = await publishedVerdictPage(db, { after, limit });
        const { nextCursor } = paginate(rows, limit, (r) => [new Date(r.last).toISOString(), r.claim_id]);
        void reply.header('cache-control', 'public, max-age=60');
        return html(reply, 200, renderVerdictList({ items: list, nextCursor, limit, publisherName: ctx.publisher.name }));
      },
    );
  };
}
