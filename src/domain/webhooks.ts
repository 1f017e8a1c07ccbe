// What a webhook subscription can ask for, and how often one delivery is tried: shared by the delivery workflow
// (its retry policy) and the delivery activity (which logs the last attempt as final).

export const WEBHOOK_EVENTS = ['verdict.recorded', 'verdict.corrected'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** 1 s, 2 s, 4 s … capped at 10 minutes between attempts: a receiver down for an hour still gets the verdict. */
export const WEBHOOK_MAX_ATTEMPTS = 8;
