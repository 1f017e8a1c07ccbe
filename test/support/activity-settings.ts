import { DEFAULT_ACTIVITY_SETTINGS, type ActivitySettings } from '../../activities/deps.ts';

/** The key the test API (test/api/support.ts) and the test workers encrypt and decrypt webhook secrets with. */
export const TEST_WEBHOOK_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * Activity settings for tests: the service's defaults, except that webhooks may target the loopback receivers the
 * tests start (the default refuses private and loopback targets, as production must).
 */
export const TEST_ACTIVITY_SETTINGS: ActivitySettings = { ...DEFAULT_ACTIVITY_SETTINGS, webhooks: { allowPrivate: true, secretKey: Buffer.from(TEST_WEBHOOK_SECRET_KEY, 'base64') } };
