import type { Logger } from '../src/logging/logger.ts';
import type { Db } from '../db/index.ts';

export interface ActivitySettings {
  extractionThreshold: number;
  /** Threshold for transcripts (EXTRACTION_THRESHOLD_TRANSCRIPT); absent means extractionThreshold. */
  extractionThresholdTranscript?: number;
  factCheck: { apiKey: string | null; url: string; timeoutMs: number };
  publisher: { name: string; url: string };
  /** Config WEBHOOK_ALLOW_PRIVATE; absent means false, so a deployment that never sets it stays guarded. */
  webhooks?: { allowPrivate: boolean };
}

export interface ActivityDeps {
  db: Db;
  log: Logger;
  settings: ActivitySettings;
}

export const DEFAULT_ACTIVITY_SETTINGS: ActivitySettings = {
  extractionThreshold: 0.5,
  extractionThresholdTranscript: 0.5,
  factCheck: { apiKey: null, url: 'https://factchecktools.googleapis.com/v1alpha1/claims:search', timeoutMs: 5000 },
  publisher: { name: 'claimdesk newsroom', url: 'http://localhost:3000' },
  // Safe by default: a caller that wants loopback receivers (the tests) says so.
  webhooks: { allowPrivate: false },
};
