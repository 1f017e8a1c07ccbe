// Message definitions shared by the claim workflow and its callers (src/claims-client/claim-workflows.ts).
// Pure definitions only: importing this file outside a workflow is safe.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor, ReviewPolicy, VerdictInput } from '../src/domain/review.ts';
import type { ClaimStatus, Priority, TaskKind, TaskStatus } from '../src/domain/types.ts';

// Callers read the claim's status from the same keys the workflow upserts (defined once, in src/domain).
export { claimStatusKey } from '../src/domain/search-attributes.ts';

export const claimWorkflowId = (claimId: string): string => `claim-${claimId}`;
export const articleWorkflowId = (articleId: string): string => `article-${articleId}`;
export const webhookWorkflowId = (verdictId: string): string => `webhooks-${verdictId}`;
/** Started by name, so the claim workflow's code does not depend on the delivery workflow's. */
export const WEBHOOK_WORKFLOW_TYPE = 'deliverVerdictWebhooks';
export type { DeliverVerdictWebhooksInput as WebhookWorkflowInput } from '../src/domain/webhooks.ts';

export type ClaimWorkflowMode = 'initial' | 'correction';
export type ClaimStage = 'research' | 'review' | 'approval' | 'done' | 'withdrawn';

/** One review or approval task as the workflow sees it; times are epoch milliseconds (workflow time). */
export interface LiveTask {
  id: string;
  kind: TaskKind;
  status: TaskStatus;
  assignee: string | null;
  priority: Priority;
  round: number;
  escalationLevel: number;
  /** When the current SLA clock started (opened, escalated, or released back to the queue). */
  openSince: number;
  claimedAt: number | null;
  completedAt: number | null;
  leaseExpiresAt: number | null;
  dueAt: number | null;
  /**
   * When the verdict SLA clock of a claimed task started (rules 2): its first claim, or its last escalation or
   * reprioritization while claimed. A release and reclaim keep it. Absent in states of rules-1 runs.
   */
  verdictClockSince?: number | null;
  /** The reviewer whose verdict an approval task is about (four-eyes), or the reviewer a send-back returns to. */
  reviewer: string | null;
  comment: string | null;
}

export interface ProposedVerdict {
  verdict: VerdictInput;
  reviewer: string;
  round: number;
  approvals: string[];
}

export interface ClaimLiveState {
  claimId: string;
  workflowId: string;
  mode: ClaimWorkflowMode;
  stage: ClaimStage;
  status: ClaimStatus;
  priority: Priority;
  /** Review round: 1, then +1 per send-back. */
  round: number;
  /** The verdict version this run records (1 for the initial run, n+1 for a correction). */
  version: number;
  tasks: LiveTask[];
  proposed: ProposedVerdict | null;
  verdictId: string | null;
  supersedes: string | null;
  correctionReason: string | null;
  checks: unknown[];
  evidenceProviderFailures: string[];
  /** Monotonic transition counter: makes every read-model write's idempotency key unique within a run. */
  seq: number;
  /**
   * Set while the read model refuses one of this claim's writes for good (a data or constraint error): which step,
   * why, since when. Cleared by the next write that commits. Optional: states carried from older runs lack it.
   */
  stuck?: StuckState | null;
  /**
   * The results of the most recent Updates by Update id (newest last, bounded): a retried Update that reaches a later
   * run after continue-as-new gets its first result back instead of being applied again. Optional for older states.
   */
  applied?: AppliedUpdate[];
  /** The stored policy version this run follows (runs started with a versioned policy); absent for a fixed policy. */
  policyVersion?: number;
}

export interface StuckState {
  step: string;
  reason: string;
  since: number;
  /** Failed timer attempts in a row, for the timer's backoff. */
  timerFailures: number;
}

export interface AppliedUpdate {
  id: string;
  result: TaskActionResult;
}

export interface CorrectionRequest {
  reason: string;
  actor: Actor;
}

/**
 * The SLA rules a run follows. 1: a released task's claim clock restarts and a claimed task has no verdict deadline
 * (runs recorded before rules 2). 2: release and reclaim keep both clocks, and a claimed task escalates when its
 * verdict SLA passes. Starts made by claimdesk's client carry the current one; histories without it replay as 1.
 */
export const CURRENT_SLA_RULES = 2;

export interface ClaimWorkflowInput {
  claimId: string;
  policy: ReviewPolicy;
  /** The review_policies version `policy` is (a run with one follows later versions); absent: a fixed policy. */
  policyVersion?: number;
  /** See CURRENT_SLA_RULES; absent means 1. */
  slaRules?: number;
  mode?: ClaimWorkflowMode;
  correction?: CorrectionRequest;
  /** Set only by continue-as-new: the live state carried into the next run. */
  carried?: ClaimLiveState;
  /** Continue-as-new once history passes this many events even before the SDK suggests it (tests use a small number). */
  continueAsNewAfterEvents?: number;
}

export interface ArticleIntakeInput {
  articleId: string;
  policy?: ReviewPolicy;
  policyVersion?: number;
  slaRules?: number;
}

export interface ArticleIntakeResult {
  articleId: string;
  claimIds: string[];
  started: string[];
}

export interface ClaimWorkflowResult {
  claimId: string;
  status: ClaimStatus;
  verdictId: string | null;
  version: number | null;
}

/** Every update returns this once its write has committed, so the caller reads its own write. */
export interface TaskActionResult {
  claimId: string;
  status: ClaimStatus;
  taskId: string | null;
  verdictId: string | null;
}

/**
 * A refused update carries an ApplicationFailure whose `type` is the error code and whose first detail
 * is this object, so the client can name the holder or the current state.
 */
export interface RejectionDetails {
  holder: string | null;
  currentState: string | null;
}

export const claimTaskUpdate = defineUpdate<TaskActionResult, [{ taskId: string; actor: Actor }]>('claimTask');
export const releaseTaskUpdate = defineUpdate<TaskActionResult, [{ taskId: string; actor: Actor }]>('releaseTask');
export const submitVerdictUpdate = defineUpdate<TaskActionResult, [{ taskId: string; actor: Actor; verdict: VerdictInput }]>('submitVerdict');
export const approveUpdate = defineUpdate<TaskActionResult, [{ taskId: string; actor: Actor }]>('approve');
export const sendBackUpdate = defineUpdate<TaskActionResult, [{ taskId: string; actor: Actor; comment: string }]>('sendBack');
export const withdrawUpdate = defineUpdate<TaskActionResult, [{ actor: Actor; reason: string }]>('withdraw');
/** The holder is still working: the lease restarts from now (policy.leaseMs). */
export const renewLeaseUpdate = defineUpdate<TaskActionResult, [{ taskId: string; actor: Actor }]>('renewLease');
export const reprioritizeUpdate = defineUpdate<TaskActionResult, [{ actor: Actor; priority: Priority }]>('reprioritize');

export const claimStateQuery = defineQuery<ClaimLiveState>('claimState');

/**
 * A new review policy version was stored: a run that follows stored policies reads the newest from Postgres (the
 * signal carries only the number, so whoever can signal cannot make a claim follow a policy nobody stored).
 */
export const policyChangedSignal = defineSignal<[{ version: number }]>('policyChanged');

/**
 * One rollout per saved version row. The save time is part of the id: versions count from 1 again in a new database
 * (or another deployment on the same namespace), and a reused id would find the old, finished rollout and signal no one.
 */
export const policyRolloutWorkflowId = (version: number, savedAt: Date): string => `policy-rollout-v${version}-${savedAt.getTime()}`;

export interface PolicyRolloutInput {
  version: number;
  /** Set by continue-as-new: the last claim id signalled, and the counts so far. */
  after?: string | null;
  signalled?: number;
  skipped?: number;
}

export interface PolicyRolloutResult {
  version: number;
  signalled: number;
  /** Claims whose workflow had closed between the listing and the signal. */
  skipped: number;
}
