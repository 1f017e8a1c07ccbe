import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DeliveryRow, WebhookRow } from '../../../db/schema.ts';
import { deliveriesOfWebhook, insertWebhook, listWebhooks, softDeleteWebhook, webhookExists } from '../../../db/repositories/webhooks.ts';
import { DELIVERY_OUTCOMES, WEBHOOK_EVENTS } from '../../domain/webhooks.ts';
import { newWebhookSecret } from '../../publishing/webhook-signing.ts';
import { encryptWebhookSecret } from '../../publishing/webhook-secrets.ts';
import { webhookSecretKey } from '../../config/webhook-key.ts';
import { assertPublicTarget } from '../../publishing/webhook-target.ts';
import { principalOf } from '../auth.ts';
import { notFound } from '../errors.ts';
import { decodeCursor, paginate } from '../pagination.ts';
import { idParam, page, pageQuery } from '../schemas.ts';
import type { RouteContext } from '../context.ts';

const webhookSchema = z
  .object({ id: z.string(), url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)), description: z.string().nullable(), createdBy: z.string(), createdAt: z.string() })
  .meta({ id: 'Webhook' });

const deliverySchema = z
  .object({
    id: z.string(),
    deliveryId: z.string(),
    webhookId: z.string(),
    claimId: z.string(),
    verdictId: z.string(),
    event: z.string(),
    attempt: z.number().int(),
    outcome: z.enum(DELIVERY_OUTCOMES),
    final: z.boolean(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
    attemptedAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

function toWebhook(r: WebhookRow): z.infer<typeof webhookSchema> {
  return { id: r.id, url: r.url, events: r.events, description: r.description, createdBy: r.created_by, createdAt: r.created_at.toISOString() };
}

function toDelivery(r: DeliveryRow): z.infer<typeof deliverySchema> {
  return {
    id: r.id,
    deliveryId: r.delivery_id,
    webhookId: r.webhook_id,
    claimId: r.claim_id,
    verdictId: r.verdict_id,
    event: r.event,
    attempt: r.attempt,
    outcome: r.outcome,
    final: r.final,
    statusCode: r.status_code,
    error: r.error,
    durationMs: r.duration_ms,
    attemptedAt: r.attempted_at.toISOString(),
  };
}

export const webhookInputSchema = z.object({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).default([...WEBHOOK_EVENTS]),
  secret: z.string().min(16).max(200).optional().describe('HMAC key; generated when omitted'),
  description: z.string().trim().max(500).optional(),
});

export function webhookRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db } = ctx.deps;
  // Read (or, without WEBHOOK_SECRET_KEY outside production, generated) on the first subscription, not at start.
  let secretKey: Buffer | undefined;
  return async (app) => {
    app.post(
      '/api/webhooks',
      {
        onRequest: ctx.access(['editor']),
        schema: {
          tags: ['webhooks'],
          summary: 'Subscribe a URL to verdict events; deliveries are signed with the returned secret (shown once)',
          body: webhookInputSchema,
          response: { 201: z.object({ webhook: webhookSchema, secret: z.string() }) },
        },
      },
      async (req, reply) => {
        await assertPublicTarget(req.body.url, ctx.deps.config.WEBHOOK_ALLOW_PRIVATE);
        const secret = req.body.secret ?? newWebhookSecret();
        // Stored encrypted; the plain secret is in this answer once and nowhere else.
        const row = await insertWebhook(db, {
          url: req.body.url,
          events: [...new Set(req.body.events)],
          secret: null,
          secret_ciphertext: encryptWebhookSecret((secretKey ??= webhookSecretKey(ctx.deps.config)), secret),
          description: req.body.description ?? null,
          created_by: principalOf(req).user.name,
        });
        return reply.code(201).send({ webhook: toWebhook(row), secret });
      },
    );

    app.get(
      '/api/webhooks',
      { onRequest: ctx.access(['editor']), schema: { tags: ['webhooks'], summary: 'Active webhook subscriptions', querystring: pageQuery, response: { 200: page(webhookSchema) } } },
      async (req) => {
        const after = decodeCursor(req.query.cursor, ['id']);
        const rows = await listWebhooks(db, { afterId: after ? String(after[0]) : null, limit: req.query.limit + 1 });
        const { items, nextCursor } = paginate(rows, req.query.limit, (r) => [r.id]);
        return { items: items.map(toWebhook), nextCursor };
      },
    );

    app.delete(
      '/api/webhooks/:id',
      { onRequest: ctx.access(['editor']), schema: { tags: ['webhooks'], summary: 'Unsubscribe (the delivery log is kept)', params: idParam, response: { 204: z.undefined() } } },
      async (req, reply) => {
        if (!(await softDeleteWebhook(db, req.params.id))) throw notFound(`webhook ${req.params.id}`);
        return reply.code(204).send();
      },
    );

    app.get(
      '/api/webhooks/:id/deliveries',
      {
        onRequest: ctx.access(['editor']),
        schema: { tags: ['webhooks'], summary: 'Delivery log of a webhook: every attempt, newest first', params: idParam, querystring: pageQuery, response: { 200: page(deliverySchema) } },
      },
      async (req) => {
        if (!(await webhookExists(db, req.params.id))) throw notFound(`webhook ${req.params.id}`);
        const after = decodeCursor(req.query.cursor, ['id']);
        const rows = await deliveriesOfWebhook(db, req.params.id, { beforeId: after ? String(after[0]) : null, limit: req.query.limit + 1 });
        const { items, nextCursor } = paginate(rows, req.query.limit, (r) => [r.id]);
        return { items: items.map(toDelivery), nextCursor };
      },
    );
  };
}
