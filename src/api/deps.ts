import type { Client } from '@temporalio/client';
import type { Logger } from '../logging/logger.ts';
import type { Db } from '../../db/index.ts';
import type { Config } from '../config/index.ts';
import type { Role } from '../domain/types.ts';
import type { ClaimWorkflows } from '../claims-client/claim-workflows.ts';

export interface AppDeps {
  db: Db;
  temporal: Client;
  /** createClaimWorkflows(temporal, { taskQueue, policy }): every task action goes through it. */
  claimWorkflows: ClaimWorkflows;
  config: Config;
  log: Logger;
  /** The SSE hub opens its own LISTEN connection with this. */
  databaseUrl: string;
  /**
   * Overrides for tests: SSE heartbeat interval, dashboard cache lifetime, how soon a retry takes over an
   * Idempotency-Key whose first attempt died with its API process (the reliability suite kills API processes and
   * cannot wait the two production minutes); demo mode from `claimdesk start`; where the built web app is (tests);
   * how long /metrics and the public ClaimReview feed are served from memory (default 2000; 0 in tests); the token
   * cache's LISTEN connection: its application_name (tests cut one app's) and how soon it reconnects (default 500 ms).
   */
  options?: { heartbeatMs?: number; dashboardCacheMs?: number; idempotencyStaleAfterMs?: number; demo?: DemoMode | null; webDist?: string; publicCacheMs?: number; authListenName?: string; authListenRetryMs?: number };
}

/** Set only by `claimdesk start` in demo mode: the sign-in page may then list these demo users with their passwords. */
export interface DemoMode {
  users: { name: string; role: Role; password: string }[];
}
