import { ActivityFailure, patched, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import { outboundTaskQueue } from '../src/domain/task-queues.ts';
import type { createWebhookActivities } from '../activities/webhooks.ts';
import { WEBHOOK_MAX_ATTEMPTS, type DeliverVerdictWebhooksInput } from '../src/domain/webhooks.ts';

type WebhookActivities = ReturnType<typeof createWebhookActivities>;

export interface DeliverVerdictWebhooksResult {
  delivered: string[];
  failed: string[];
}

const lookups = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

const deliveryOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  // 1 s, 2 s, 4 s ... capped at 10 min: a receiver down for an hour still gets the verdict.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: WEBHOOK_MAX_ATTEMPTS, nonRetryableErrorTypes: ['WebhookRejected', 'WebhookRemoved'] },
};

/**
 * Started by the claim workflow (by name) after each recorded verdict: one delivery activity per subscription,
 * in parallel, so one slow receiver never delays another.
 */
export async function deliverVerdictWebhooks(input: DeliverVerdictWebhooksInput): Promise<DeliverVerdictWebhooksResult> {
  const targets = await lookups.listWebhookTargets({ verdictId: input.verdictId, event: input.event });
  if (targets.length === 0) return { delivered: [], failed: [] };
  const payload = await lookups.buildVerdictPayload(input);
  // Deliveries call outside receivers: on the outbound task queue (own worker slots), except in histories from before it.
  const delivery = proxyActivities<WebhookActivities>(patched('outbound-task-queue') ? { ...deliveryOptions, taskQueue: outboundTaskQueue(workflowInfo().taskQueue) } : deliveryOptions);
  const outcomes = await Promise.allSettled(targets.map((target) => delivery.deliverWebhook({ target, payload })));
  const delivered: string[] = [];
  const failed: string[] = [];
  outcomes.forEach((o, i) => {
    const id = targets[i]?.deliveryId ?? '?';
    if (o.status === 'fulfilled') delivered.push(id);
    else if (o.reason instanceof ActivityFailure) failed.push(id);
    else throw o.reason;
  });
  return { delivered, failed };
}
