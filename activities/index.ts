import type { ActivityDeps } from './deps.ts';
import { createIntakeActivities } from './intake.ts';
import { createReviewActivities } from './review.ts';
import { createEvidenceActivities } from './evidence.ts';
import { createWebhookActivities } from './webhooks.ts';

export type { ActivityDeps, ActivitySettings } from './deps.ts';
export { DEFAULT_ACTIVITY_SETTINGS } from './deps.ts';

/** Returns every activity, closed over its dependencies (no module singletons, so tests build their own). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIntakeActivities(deps),
    ...createReviewActivities(deps),
    ...createEvidenceActivities(deps),
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
