import { DEFAULT_ACTIVITY_SETTINGS, type ActivitySettings } from '../../activities/deps.ts';

/**
 * Activity settings for tests: the service's defaults, except that webhooks may target the loopback receivers the
 * tests start (the default refuses private and loopback targets, as production must).
 */
export const TEST_ACTIVITY_SETTINGS: ActivitySettings = { ...DEFAULT_ACTIVITY_SETTINGS, webhooks: { allowPrivate: true } };
