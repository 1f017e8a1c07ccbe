import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SOURCE_KINDS, getSource, searchSources, sourceInputSchema, upsertSource } from '../../evidence/index.ts';
import { notFound } from '../errors.ts';
import { MAX_SEARCH_QUERY_CHARS, idParam, page } from '../schemas.ts';
import type { RouteContext } from '../context.ts';

// The fields a full source and a search hit share; each adds its own.
const sourceSummary = z.object({
  id: z.string(),
  url: z.string(),
  title: z.string(),
  publisher: z.string().nullable(),
  publishedAt: z.string().nullable(),
  kind: z.string(),
  reliability: z.number(),
});

const sourceSchema = sourceSummary
  .extend({ body: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .meta({ id: 'Source' });

const searchItemSchema = sourceSummary
  .extend({ snippet: z.string().nullable(), score: z.number().nullable() })
  .meta({ id: 'SourceSearchItem' });

export function sourceRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db } = ctx.deps;
  return async (app) => {
    app.get(
      '/api/sources',
      {
        onRequest: ctx.access('any'),
        schema: {
          tags: ['sources'],
          summary: 'Search the evidence library (websearch syntax); without q, newest first',
          querystring: z.object({
            // A whole claim may be pasted as the query (issue 5): searchSources truncates it; only absurd sizes are refused.
            q: z.string().trim().max(MAX_SEARCH_QUERY_CHARS).optional(),
            kind: z.enum(SOURCE_KINDS).optional(),
            minReliability: z.coerce.number().min(0).max(1).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(500).optional(),
          }),
          response: { 200: page(searchItemSchema) },
        },
      },
      async (req) => {
        const { q, kind, minReliability, limit, cursor } = req.query;
        return searchSources(db, { ...(q ? { q } : {}), ...(kind ? { kind } : {}), ...(minReliability !== undefined ? { minReliability } : {}), limit, cursor: cursor ?? null });
      },
    );

    app.get('/api/sources/:id', { onRequest: ctx.access('any'), schema: { tags: ['sources'], summary: 'One source', params: idParam, response: { 200: z.object({ source: sourceSchema }) } } }, async (req) => {
      const source = await getSource(db, req.params.id);
      if (!source) throw notFound(`source ${req.params.id}`);
      return { source };
    });

    app.post(
      '/api/sources',
      {
        onRequest: ctx.access(['editor']),
        schema: {
          tags: ['sources'],
          summary: 'Add a source to the library (or update the one with the same URL)',
          body: sourceInputSchema,
          response: { 200: z.object({ source: sourceSchema, created: z.boolean() }), 201: z.object({ source: sourceSchema, created: z.boolean() }) },
        },
      },
      async (req, reply) => {
        const { source, created } = await upsertSource(db, req.body);
        return reply.code(created ? 201 : 200).send({ source, created });
      },
    );
  };
}
