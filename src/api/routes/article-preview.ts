import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { extractClaims, ExtractionInputError, resolveKind } from '../../extraction/index.ts';
import { validateInput } from '../../extraction/errors.ts';
import { HttpProblem } from '../errors.ts';
import type { RouteContext } from '../context.ts';

const extractedClaimSchema = z
  .object({
    text: z.string(),
    start: z.number().int(),
    end: z.number().int(),
    score: z.number(),
    kind: z.enum(['statistic', 'comparison', 'event', 'quote', 'causal', 'other']),
    claimant: z.string().nullable(),
    quantities: z.array(z.object({ text: z.string(), value: z.number(), unit: z.string().nullable() })),
    checks: z.array(z.object({ type: z.literal('arithmetic'), status: z.enum(['consistent', 'inconsistent', 'unknown']), detail: z.string() })),
    features: z.array(z.string()),
    timestamp: z.string().nullable().optional(),
  })
  .meta({ id: 'ExtractedClaim' });

/** The ingest page's preview: the claims `POST /api/articles` would find, at the configured threshold, storing nothing. */
export function articlePreviewRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const thresholds = { news: ctx.deps.config.EXTRACTION_THRESHOLD, transcript: ctx.deps.config.EXTRACTION_THRESHOLD_TRANSCRIPT };
  return async (app) => {
    app.post(
      '/api/articles/preview',
      {
        onRequest: ctx.access('any'),
        schema: {
          tags: ['articles'],
          summary: 'Extract the check-worthy claims of an article without saving anything (offsets are into body)',
          body: z.object({ title: z.string().trim().max(1000).optional(), body: z.string().min(1), kind: z.enum(['news', 'transcript', 'auto']).optional() }),
          response: { 200: z.object({ claims: z.array(extractedClaimSchema), threshold: z.number(), kind: z.enum(['news', 'transcript']) }) },
        },
      },
      async (req) => {
        try {
          // Checked before the kind is worked out, so input that is not plain text gets its 400 first.
          validateInput(req.body.body, 'body');
          const kind = resolveKind(req.body.body, req.body.kind ?? 'auto');
          const threshold = thresholds[kind];
          return { claims: extractClaims(req.body.body, { threshold, kind }), threshold, kind };
        } catch (err) {
          if (err instanceof ExtractionInputError) {
            if (err.code === 'too_large') throw new HttpProblem(413, `body: ${err.message}`);
            throw new HttpProblem(400, `body: ${err.message}`, { errors: [{ field: 'body', message: err.message }] });
          }
          throw err;
        }
      },
    );
  };
}
