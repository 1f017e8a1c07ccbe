import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../../db/index.ts';
import type { Config } from '../config/index.ts';
import type { Actor, VerdictInput } from '../domain/review.ts';
import type { ClaimStatus, Priority } from '../domain/types.ts';

// The workflow engineer's contract (src/services/claim-workflows.ts), restated structurally so the API
// compiles and tests against whatever object satisfies it.
export type TaskAction =
  | { type: 'claim'; taskId: string; actor: Actor }
  | { type: 'release'; taskId: string; actor: Actor }
  | { type: 'submitVerdict'; taskId: string; actor: Actor; verdict: VerdictInput }
  | { type: 'approve'; taskId: string; actor: Actor }
  | { type: 'sendBack'; taskId: string; actor: Actor; comment: string }
  | { type: 'withdraw'; actor: Actor; reason: string }
  | { type: 'reprioritize'; actor: Actor; priority: Priority };

export interface TaskActionResult {
  claimId: string;
  status: ClaimStatus;
  taskId: string | null;
  verdictId: string | null;
}

export interface ClaimWorkflowsPort {
  startArticleIntake(articleId: string): Promise<{ workflowId: string }>;
  startClaim(claimId: string): Promise<{ workflowId: string }>;
  act(claimId: string, action: TaskAction): Promise<TaskActionResult>;
  requestCorrection(claimId: string, actor: Actor, reason: string): Promise<{ workflowId: string }>;
  liveState(claimId: string): Promise<unknown>;
}

export interface AppDeps {
  db: Db;
  temporal: Client;
  claimWorkflows: ClaimWorkflowsPort;
  config: Config;
  log: Logger;
  /** The SSE hub opens its own LISTEN connection with this. */
  databaseUrl: string;
}
