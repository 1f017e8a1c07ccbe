// Webhook vocabulary shared by the API (subscriptions), the activities (deliveries) and the delivery workflow.

export const WEBHOOK_EVENTS = ['verdict.recorded', 'verdict.corrected'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const DELIVERY_OUTCOMES = ['succeeded', 'failed'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** Attempts before a delivery gives up: the activity marks the last one final, the workflow's retry policy stops there. */
export const WEBHOOK_MAX_ATTEMPTS = 8;

/** Input of the webhook delivery workflow, which the claim workflow starts by name after each recorded verdict. */
export interface DeliverVerdictWebhooksInput {
  claimId: string;
  verdictId: string;
  event: WebhookEvent;
}
