import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getArticleByHash, findArticle, insertArticleIfNew, setArticleWorkflowId } from '../../../db/repositories/articles.ts';
import { claimsOfArticle } from '../../../db/repositories/claims.ts';
import { validateInput } from '../../extraction/errors.ts';
import { resolveKind } from '../../extraction/transcript.ts';
import { notFound } from '../errors.ts';
import { articleSchema, claimSchema, idParam, toArticle, toClaim } from '../schemas.ts';
import type { RouteContext } from '../context.ts';

export const articleInputSchema = z.object({
  title: z.string().trim().min(1).max(1000),
  body: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  publisher: z.string().trim().min(1).max(300).optional(),
  publishedAt: z.iso.datetime({ offset: true }).optional(),
  kind: z.enum(['news', 'transcript', 'auto']).optional().describe('"auto" (the default) reads SPEAKER: turns as a transcript'),
});

/** Same words, same article: whitespace and Unicode normalisation do not make a new submission. */
export function contentHash(title: string, body: string): string {
  const norm = (s: string) => s.normalize('NFC').replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(`${norm(title)}\n${norm(body)}`, 'utf8').digest('hex');
}

export function articleRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db, claimWorkflows } = ctx.deps;
  return async (app) => {
    app.post(
      '/api/articles',
      {
        onRequest: ctx.access('any'),
        schema: {
          tags: ['articles'],
          summary: 'Submit an article; its claims are extracted and each starts a review workflow. Idempotent on content.',
          body: articleInputSchema,
          response: { 202: z.object({ article: articleSchema, workflowId: z.string(), created: z.boolean() }) },
        },
      },
      async (req, reply) => {
        const input = req.body;
        validateInput(input.title, 'title');
        validateInput(input.body, 'body');
        const hash = contentHash(input.title, input.body);
        const inserted = await insertArticleIfNew(db, {
          title: input.title,
          body: input.body,
          url: input.url ?? null,
          publisher: input.publisher ?? null,
          published_at: input.publishedAt ?? null,
          content_hash: hash,
          kind: resolveKind(input.body, input.kind ?? 'auto'),
          submitted_by: req.principal?.user.id ?? null,
        });
        const article = inserted ?? (await getArticleByHash(db, hash));
        // Starting is idempotent (fixed workflow id), so a retried submission after a crash here still starts it.
        const { workflowId } = await claimWorkflows.startArticleIntake(article.id);
        const saved = article.workflow_id
          ? article
          : ((await setArticleWorkflowId(db, article.id, workflowId)) ?? article);
        return reply.code(202).send({ article: toArticle(saved), workflowId, created: inserted !== undefined });
      },
    );

    app.get(
      '/api/articles/:id',
      {
        onRequest: ctx.access('any'),
        schema: { tags: ['articles'], summary: 'An article and the claims found in it', params: idParam, response: { 200: z.object({ article: articleSchema, claims: z.array(claimSchema) }) } },
      },
      async (req) => {
        const article = await findArticle(db, req.params.id);
        if (!article) throw notFound(`article ${req.params.id}`);
        const claims = await claimsOfArticle(db, article.id);
        return { article: toArticle(article), claims: claims.map(toClaim) };
      },
    );
  };
}
