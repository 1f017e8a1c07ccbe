import type { Logger } from '../src/logging/logger.ts';
import type { Db } from '../db/index.ts';
import type { ExtractionPool } from '../src/extraction/pool.ts';

export interface ActivitySettings {
  extractionThreshold: number;
  /** Threshold for transcripts (EXTRACTION_THRESHOLD_TRANSCRIPT); absent means extractionThreshold. */
  extractionThresholdTranscript?: number;
  factCheck: { apiKey: string | null; url: string; timeoutMs: number };
  publisher: { name: string; url: string };
  /** Config WEBHOOK_ALLOW_PRIVATE; absent means false, so a deployment that never sets it stays guarded. */
  webhooks?: { allowPrivate: boolean; /** AES-256-GCM key of stored webhook secrets (config WEBHOOK_SECRET_KEY or the state dir's). */ secretKey?: Buffer };
  /** Extraction threads and each article's deadline (EXTRACTION_THREADS, EXTRACTION_DEADLINE_MS); absent means the defaults. */
  extraction?: { threads: number; deadlineMs: number };
}

export const DEFAULT_EXTRACTION_SETTINGS = { threads: 2, deadlineMs: 20_000 };

export interface ActivityDeps {
  db: Db;
  log: Logger;
  settings: ActivitySettings;
  /** Where extraction runs; absent: the process's shared pool with settings.extraction.threads threads. */
  extractionPool?: ExtractionPool;
}

export const DEFAULT_ACTIVITY_SETTINGS: ActivitySettings = {
  extractionThreshold: 0.5,
  extractionThresholdTranscript: 0.5,
  factCheck: { apiKey: null, url: 'https://factchecktools.googleapis.com/v1alpha1/claims:search', timeoutMs: 5000 },
  publisher: { name: 'claimdesk newsroom', url: 'http://localhost:3000' },
  // Safe by default: a caller that wants loopback receivers (the tests) says so.
  webhooks: { allowPrivate: false },
};
