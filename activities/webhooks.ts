import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps.ts';
import { findVerdict } from '../db/repositories/verdicts.ts';
import { activeWebhooksFor, findWebhook, logDeliveryAttempt, storeEncryptedWebhookSecret } from '../db/repositories/webhooks.ts';
import type { WebhookRow } from '../db/schema.ts';
import { WebhookSecretKeyError, decryptWebhookSecret, encryptWebhookSecret } from '../src/publishing/webhook-secrets.ts';
import type { Rating } from '../src/domain/ratings.ts';
import { WEBHOOK_MAX_ATTEMPTS, type DeliveryOutcome, type WebhookEvent } from '../src/domain/webhooks.ts';
import { loadClaimReview } from '../src/publishing/claimreview.ts';
import { signWebhook } from '../src/publishing/webhook-signing.ts';
import { WebhookTargetError, assertPublicTarget, postWebhook } from '../src/publishing/webhook-target.ts';

export interface WebhookTarget {
  webhookId: string;
  deliveryId: string;
}

export interface VerdictWebhookPayload {
  event: WebhookEvent;
  claimId: string;
  verdictId: string;
  version: number;
  rating: Rating;
  occurredAt: string;
  claimReview: Record<string, unknown>;
}

const TIMEOUT_MS = 10_000;

// 408 and 429 say "later", the other 4xx say "never": a receiver that rejects the payload won't change its mind.
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export function createWebhookActivities(deps: ActivityDeps) {
  const { db } = deps;
  /** The HMAC key of a subscription; one stored in clear before encryption existed is encrypted on this first read. */
  async function secretOf(hook: WebhookRow): Promise<string> {
    const key = deps.settings.webhooks?.secretKey;
    if (!key) throw ApplicationFailure.nonRetryable('no webhook secret key configured (WEBHOOK_SECRET_KEY)', 'WebhookSecretKeyMissing');
    if (hook.secret_ciphertext !== null) {
      try {
        return decryptWebhookSecret(key, hook.secret_ciphertext);
      } catch (err) {
        if (err instanceof WebhookSecretKeyError) throw ApplicationFailure.nonRetryable(`webhook ${hook.id}: ${err.message}`, 'WebhookSecretUnreadable');
        throw err;
      }
    }
    if (hook.secret === null) throw ApplicationFailure.nonRetryable(`webhook ${hook.id} has no secret`, 'WebhookSecretUnreadable');
    await storeEncryptedWebhookSecret(db, hook.id, encryptWebhookSecret(key, hook.secret));
    return hook.secret;
  }
  return {
    /** Subscriptions active now; the delivery id is stable per (verdict, event, subscription), so retries and replays reuse it. */
    async listWebhookTargets(input: { verdictId: string; event: WebhookEvent }): Promise<WebhookTarget[]> {
      const hooks = await activeWebhooksFor(db, input.event);
      return hooks.map((h) => ({ webhookId: h.id, deliveryId: `${input.event}:${input.verdictId}:${h.id}` }));
    },

    /** Built once per verdict so every subscriber and every retry gets the same document. */
    async buildVerdictPayload(input: { claimId: string; verdictId: string; event: WebhookEvent }): Promise<VerdictWebhookPayload> {
      const found = await loadClaimReview(db, input.claimId, deps.settings.publisher);
      if (!found) throw ApplicationFailure.nonRetryable(`claim ${input.claimId} has no recorded verdict`, 'NoVerdict');
      const verdict = await findVerdict(db, input.verdictId);
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
      const hook = await findWebhook(db, input.target.webhookId);
      const log = async (row: { outcome: DeliveryOutcome; final: boolean; statusCode: number | null; error: string | null; durationMs: number }) => {
        await logDeliveryAttempt(db, {
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
        });
      };
      if (!hook || hook.deleted_at) {
        throw ApplicationFailure.nonRetryable(`webhook ${input.target.webhookId} was removed before delivery`, 'WebhookRemoved');
      }
      const secret = await secretOf(hook);
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
            'x-claimdesk-signature': signWebhook(secret, timestamp, body),
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
