// Task queue names, derived from the one configured queue so workflows (which read no configuration) and workers
// agree on them.

/**
 * Outbound HTTP (fact-check lookups, webhook deliveries) runs on its own task queue with its own worker slots: a slow
 * or hanging outside service can fill those, never the slots of the read-model writes people wait on.
 */
export const outboundTaskQueue = (taskQueue: string): string => `${taskQueue}-outbound`;

/** The activities that call outside services, by name: the only ones the outbound worker runs. */
export const OUTBOUND_ACTIVITIES = ['searchFactChecks', 'deliverWebhook'] as const;
