import { createHmac } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps.ts';
import { WEBHOOK_MAX_ATTEMPTS } from '../src/domain/webhooks.ts';
import { loadClaimReview } from '../src/api/claimreview.ts';
import { activeWebhooksFor, webhookDb, type WebhookEvent } from '../src/api/webhook-store.ts';
import { WebhookTargetError, assertPublicTarget, postWebhook } from '../src/api/webhook-target.ts';

export interface WebhookTarget {
  webhookId: string;
  deliveryId: string;
}

export interface VerdictWebhookPayload {
  event: WebhookEvent;
  claimId: string;
  verdictId: string;
  version: number;
  rating: string;
  occurredAt: string;
  claimReview: Record<string, unknown>;
}

const TIMEOUT_MS = 10_000;

/** `sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`: receivers recompute it and reject stale timestamps. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

// 408 and 429 say "later", the other 4xx say "never": a receiver that rejects the payload won't change its mind.
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export function createWebhookActivities(deps: ActivityDeps) {
  const db = webhookDb(deps.db);
  return {
    /** Subscriptions active now; the delivery id is stable per (verdict, event, subscription), so retries and replays reuse it. */
    async listWebhookTargets(input: { verdictId: string; event: WebhookEvent }): Promise<WebhookTarget[]> {
      const hooks = await activeWebhooksFor(deps.db, input.event);
      return hooks.map((h) => ({ webhookId: h.id, deliveryId: `${input.event}:${input.verdictId}:${h.id}` }));
    },

    /** Built once per verdict so every subscriber and every retry gets the same document. */
    async buildVerdictPayload(input: { claimId: string; verdictId: string; event: WebhookEvent }): Promise<VerdictWebhookPayload> {
      const found = await loadClaimReview(deps.db, input.claimId, deps.settings.publisher);
      if (!found) throw ApplicationFailure.nonRetryable(`claim ${input.claimId} has no recorded verdict`, 'NoVerdict');
      const verdict = await deps.db.selectFrom('verdicts').selectAll().where('id', '=', input.verdictId).executeTakeFirst();
      if (!verdict) throw ApplicationFailure.nonRetryable(`verdict ${input.verdictId} does not exist`, 'NoVerdict');
      return {
        event: input.event,
        claimId: input.claimId,
        verdictId: verdict.id,
        version: verdict.version,
        rating: verdict.rating,
        occurredAt: verdict.recorded_at.toISOString(),
        claimReview: found.claimReview,
      };
    },

    /** One POST; every attempt, failed or not, lands in the delivery log. Temporal's retry policy does the backoff. */
    async deliverWebhook(input: { target: WebhookTarget; payload: VerdictWebhookPayload }): Promise<{ statusCode: number; attempt: number }> {
      const attempt = Context.current().info.attempt;
      const hook = await db.selectFrom('webhooks').selectAll().where('id', '=', input.target.webhookId).executeTakeFirst();
      const log = async (row: { outcome: 'succeeded' | 'failed'; final: boolean; statusCode: number | null; error: string | null; durationMs: number }) => {
        await db
          .insertInto('webhook_deliveries')
          .values({
            delivery_id: input.target.deliveryId,
            webhook_id: input.target.webhookId,
            claim_id: input.payload.claimId,
            verdict_id: input.payload.verdictId,
            event: input.payload.event,
            attempt,
            outcome: row.outcome,
            final: row.final,
            status_code: row.statusCode,
            error: row.error,
            duration_ms: row.durationMs,
          })
          .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
          .execute();
      };
      if (!hook || hook.deleted_at) {
        throw ApplicationFailure.nonRetryable(`webhook ${input.target.webhookId} was removed before delivery`, 'WebhookRemoved');
      }
      const body = JSON.stringify({ deliveryId: input.target.deliveryId, ...input.payload });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const allowPrivate = deps.settings.webhooks?.allowPrivate ?? false;
      const started = Date.now();
      let status: number | null = null;
      let error: string | null = null;
      let forbidden = false;
      try {
        // Checked again here, not only at registration: DNS can change, and rows may predate the switch.
        await assertPublicTarget(hook.url, allowPrivate);
        status = await postWebhook(hook.url, {
          headers: {
            'content-type': 'application/json',
            'user-agent': 'claimdesk-webhooks/1',
            'x-claimdesk-event': input.payload.event,
            'x-claimdesk-delivery': input.target.deliveryId,
            'x-claimdesk-timestamp': timestamp,
            'x-claimdesk-signature': signWebhook(hook.secret, timestamp, body),
          },
          body,
          timeoutMs: TIMEOUT_MS,
          allowPrivate,
        });
      } catch (err) {
        forbidden = err instanceof WebhookTargetError;
        error = forbidden ? `target refused: ${(err as Error).message}` : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      const durationMs = Date.now() - started;
      if (status !== null && status >= 200 && status < 300) {
        await log({ outcome: 'succeeded', final: true, statusCode: status, error: null, durationMs });
        return { statusCode: status, attempt };
      }
      const permanent = forbidden || (status !== null && !retryable(status));
      const last = permanent || attempt >= WEBHOOK_MAX_ATTEMPTS;
      const reason = error ?? `receiver answered ${status}`;
      await log({ outcome: 'failed', final: last, statusCode: status, error: reason, durationMs });
      deps.log.warn({ webhookId: hook.id, deliveryId: input.target.deliveryId, attempt, status, error }, 'webhook delivery attempt failed');
      if (forbidden) throw ApplicationFailure.nonRetryable(`webhook ${hook.id}: ${reason}`, 'WebhookTargetForbidden');
      if (permanent) throw ApplicationFailure.nonRetryable(`webhook ${hook.id}: ${reason}`, 'WebhookRejected');
      throw ApplicationFailure.retryable(`webhook ${hook.id}: ${reason}`, 'WebhookUnavailable');
    },
  };
}
