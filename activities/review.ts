import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from '../src/logging/logger.ts';
import { claimStatus, findClaimChecks, lockClaim, updateClaim } from '../db/repositories/claims.ts';
import { appendEvent, notifyClaimChange, otherRunBegan } from '../db/repositories/events.ts';
import { allocateTaskId, extendLease, insertTaskIfNew, setTaskState } from '../db/repositories/tasks.ts';
import { clearClaimStuck, markClaimStuck } from '../db/repositories/stuck-claims.ts';
import { latestVerdictRef, recordVerdict, verdictIdOfVersion } from '../db/repositories/verdicts.ts';
import type { Rating } from '../src/domain/ratings.ts';
import type { ClaimStatus, Priority, TaskKind, TaskStatus } from '../src/domain/types.ts';
import type { Citation, ReviewPolicy } from '../src/domain/review.ts';
import { currentReviewPolicy, listClaimsInFlight } from '../db/repositories/review-policies.ts';
import { checkArithmetic, extractQuantities } from '../src/extraction/index.ts';
import type { ActivityDeps } from './deps.ts';

/** The full target state of one task after a transition (absolute values, so a retried write is a no-op). */
export interface TaskWrite {
  id: string;
  /** Present when this transition creates the task. */
  create?: { kind: TaskKind; round: number; idempotencyKey: string };
  status: TaskStatus;
  assignee: string | null;
  priority: Priority;
  reviewer: string | null;
  comment: string | null;
  leaseExpiresAt: number | null;
  dueAt: number | null;
  claimedAt: number | null;
  completedAt: number | null;
  escalatedAt: number | null;
  escalationLevel: number;
}

export interface VerdictWrite {
  version: number;
  rating: Rating;
  summary: string;
  rationale: string | null;
  citations: Citation[];
  reviewer: string;
  approver: string | null;
  supersedes: string | null;
  correctionReason: string | null;
}

export interface TransitionInput {
  claimId: string;
  workflowId: string;
  /** Unique per transition (workflow id + verdict version + step + sequence): the claim_events idempotency key. */
  key: string;
  /** Omitted when the transition only records an event (e.g. an evidence provider failing). */
  status?: ClaimStatus;
  priority?: Priority;
  tasks?: TaskWrite[];
  verdict?: VerdictWrite;
  event: { type: string; actor: string; payload: Record<string, unknown> };
  /** The task the notification is about, for live queue updates. */
  taskId?: string | null;
  /** Workflow time of the transition, so the audit trail and task timestamps agree with the workflow's clock. */
  at: number;
}

export interface TransitionResult {
  verdictId: string | null;
}

export interface LeaseRenewalInput {
  claimId: string;
  taskId: string;
  holder: string;
  leaseExpiresAt: number;
  /** The claim's status, for the live-update notification. */
  status: ClaimStatus;
}

export interface BeginRunInput {
  claimId: string;
  workflowId: string;
  key: string;
  mode: 'initial' | 'correction';
  correction: { reason: string; actor: { name: string; role: string } } | null;
  at: number;
}

export interface BeginRunResult {
  priority: Priority;
  latestVerdict: { id: string; version: number } | null;
  /** The newest stored review policy when the run began (a run that follows stored versions adopts it if newer). */
  policy?: PolicyVersion;
}

/** A stored review policy version, as workflows receive it (version 0: the built-in default). */
export interface PolicyVersion {
  version: number;
  policy: ReviewPolicy;
}

export interface StuckInput {
  claimId: string;
  workflowId: string;
  /** One per stuck episode, so a retried attempt appends one event. */
  key: string;
  step: string;
  reason: string;
  at: number;
}

class AlreadyApplied extends Error {}

/** The ApplicationFailure type of beginRun refusing a second initial run of a claim. */
export const ALREADY_STARTED = 'already_started';

/** The ApplicationFailure type of a write Postgres refuses for good; the workflow marks the claim stuck on it. */
export const READ_MODEL_REJECTED = 'read_model_rejected';

/**
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the same write will be refused
 * again however often it is retried (code and schema have drifted apart), so retrying forever would only wedge the
 * claim. Everything else (connection loss, serialization failures, timeouts) stays retryable.
 */
export function isPermanentPgError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** Runs a read-model write; a permanent Postgres refusal becomes a non-retryable failure naming the SQLSTATE. */
async function refusedForGood<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isPermanentPgError(err)) throw err;
    const detail = (err as { detail?: unknown }).detail;
    throw ApplicationFailure.create({
      type: READ_MODEL_REJECTED,
      message: `Postgres refused ${what}: ${err.message} (SQLSTATE ${err.code})`,
      nonRetryable: true,
      details: [{ sqlState: err.code, detail: typeof detail === 'string' ? detail : null }],
    });
  }
}

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function activityLog(deps: ActivityDeps, claimId: string): Logger {
  let workflowId: string | undefined;
  try {
    workflowId = Context.current().info.workflowExecution?.workflowId;
  } catch {
    workflowId = undefined;
  }
  return deps.log.child({ workflowId, claimId });
}

/**
 * Read-model writes of the claim workflow: every transition updates claims, review_tasks and verdicts,
 * appends a claim_events row and notifies listeners in ONE transaction. The event's idempotency key makes
 * a retried or duplicated attempt a no-op: whichever attempt commits first wins, the other rolls back.
 */
export function createReviewActivities(deps: ActivityDeps) {
  const { db } = deps;

  return {
    /** A task id handed out before the row exists, so the workflow knows it before anyone can see the task. */
    async allocateTaskId(): Promise<string> {
      return allocateTaskId(db);
    },

    async beginRun(input: BeginRunInput): Promise<BeginRunResult> {
      const log = activityLog(deps, input.claimId);
      return refusedForGood('the start of the run', () => db.transaction().execute(async (trx) => {
        const claim = await lockClaim(trx, input.claimId);
        if (!claim) throw ApplicationFailure.nonRetryable(`claim ${input.claimId} does not exist`, 'not_found');
        const latest = await latestVerdictRef(trx, input.claimId);
        if (input.mode === 'correction' && !latest) {
          throw ApplicationFailure.nonRetryable(`claim ${input.claimId} has no verdict to correct`, 'invalid_state');
        }
        // An initial run for a claim that has a verdict, or that another run chain began (its workflow since
        // terminated, or deleted by retention, so Temporal let this one start): nothing to do, nothing written.
        if (input.mode === 'initial' && (latest || (await otherRunBegan(trx, input.claimId, input.key)))) {
          throw ApplicationFailure.create({
            type: ALREADY_STARTED,
            message: `claim ${input.claimId} was started before${latest ? ` and has verdict version ${latest.version}` : ''}: an initial run starts only once`,
            nonRetryable: true,
            details: [{ currentState: claim.status, latestVerdictId: latest?.id ?? null }],
          });
        }
        const inserted = await appendEvent(trx, {
          claim_id: input.claimId,
          at: new Date(input.at),
          actor: input.correction?.actor.name ?? 'system',
          type: input.mode === 'correction' ? 'correction_opened' : 'research_started',
          payload: JSON.stringify(input.mode === 'correction' ? { reason: input.correction?.reason ?? null, previousVerdictId: latest?.id ?? null, previousVersion: latest?.version ?? null } : {}),
          idempotency_key: input.key,
        });
        if (inserted !== undefined) {
          // A correction goes straight to a new review round; an initial run researches first.
          const status: ClaimStatus = input.mode === 'correction' ? 'awaiting_review' : 'researching';
          await updateClaim(trx, input.claimId, { status, workflow_id: input.workflowId, updated_at: new Date(input.at) });
          await notifyClaimChange(trx, { claimId: input.claimId, type: input.mode === 'correction' ? 'correction_opened' : 'research_started', status });
          log.info({ mode: input.mode }, 'claim workflow run begun');
        }
        const stored = await currentReviewPolicy(trx);
        return { priority: claim.priority, latestVerdict: latest ? { id: latest.id, version: latest.version } : null, policy: { version: stored.version, policy: stored.policy } };
      }));
    },

    /** The newest stored review policy (read-only, safe to repeat: a local activity). */
    async loadReviewPolicy(): Promise<PolicyVersion> {
      const stored = await currentReviewPolicy(db);
      return { version: stored.version, policy: stored.policy };
    },

    /** One page of the claims whose workflow runs a round, for the policy rollout to signal. */
    async listClaimsInFlight(input: { after: string | null; limit: number }): Promise<Array<{ claimId: string; workflowId: string }>> {
      return listClaimsInFlight(db, input.after, input.limit);
    },

    /**
     * The claim's automated checks: extracted claims carry the checks computed at extraction; a claim
     * entered by hand gets its quantities and arithmetic checked here.
     */
    async runAutomatedChecks(input: { claimId: string; key: string; at: number }): Promise<unknown[]> {
      return refusedForGood('the automated checks', () => db.transaction().execute(async (trx) => {
        const claim = await findClaimChecks(trx, input.claimId);
        if (!claim) throw ApplicationFailure.nonRetryable(`claim ${input.claimId} does not exist`, 'not_found');
        let checks = claim.checks;
        const extracted = claim.article_id !== null && claim.start_offset !== null;
        if (!extracted && checks.length === 0) {
          const quantities = extractQuantities(claim.text).map(({ text, value, unit }) => ({ text, value, unit }));
          checks = checkArithmetic(claim.text, quantities);
          await updateClaim(trx, input.claimId, { checks: JSON.stringify(checks), quantities: JSON.stringify(quantities), updated_at: new Date(input.at) });
        }
        await appendEvent(trx, { claim_id: input.claimId, at: new Date(input.at), actor: 'system', type: 'automated_checks', payload: JSON.stringify({ checks }), idempotency_key: input.key });
        return checks;
      }));
    },

    /**
     * Moves a held task's lease forward. No claim_event: a reviewer's client renews every few minutes, and the
     * audit trail keeps the claim, release and expiry that matter. Idempotent without a key: the lease only
     * moves forward and only while the same person still holds the task, so a retried or late attempt never
     * shortens a newer lease nor touches a task that was released, completed or taken by someone else.
     */
    async renewTaskLease(input: LeaseRenewalInput): Promise<{ applied: boolean }> {
      return refusedForGood('the lease renewal', () => db.transaction().execute(async (trx) => {
        const applied = await extendLease(trx, { claimId: input.claimId, taskId: input.taskId, holder: input.holder, leaseExpiresAt: new Date(input.leaseExpiresAt) });
        if (applied) await notifyClaimChange(trx, { claimId: input.claimId, taskId: input.taskId, type: 'lease_renewed', status: input.status });
        return { applied };
      }));
    },

    async applyTransition(input: TransitionInput): Promise<TransitionResult> {
      const log = activityLog(deps, input.claimId);
      try {
        return await db.transaction().execute(async (trx) => {
          let verdictId: string | null = null;
          for (const task of input.tasks ?? []) {
            const state = {
              status: task.status,
              assignee: task.assignee,
              priority: task.priority,
              reviewer: task.reviewer,
              comment: task.comment,
              lease_expires_at: toDate(task.leaseExpiresAt),
              due_at: toDate(task.dueAt),
              claimed_at: toDate(task.claimedAt),
              completed_at: toDate(task.completedAt),
              escalated_at: toDate(task.escalatedAt),
              escalation_level: task.escalationLevel,
            };
            if (task.create) {
              await insertTaskIfNew(trx, { ...state, id: task.id, claim_id: input.claimId, kind: task.create.kind, round: task.create.round, idempotency_key: task.create.idempotencyKey, created_at: new Date(input.at) });
            } else {
              await setTaskState(trx, input.claimId, task.id, state);
            }
          }
          if (input.verdict) {
            const v = input.verdict;
            verdictId = await recordVerdict(trx, {
              claim_id: input.claimId,
              version: v.version,
              rating: v.rating,
              summary: v.summary,
              rationale: v.rationale,
              citations: JSON.stringify(v.citations),
              reviewer: v.reviewer,
              approver: v.approver,
              recorded_at: new Date(input.at),
              supersedes: v.supersedes,
              correction_reason: v.correctionReason,
            });
          }
          if (input.status !== undefined || input.priority !== undefined) {
            await updateClaim(trx, input.claimId, { ...(input.status !== undefined ? { status: input.status } : {}), ...(input.priority !== undefined ? { priority: input.priority } : {}), updated_at: new Date(input.at) });
          }
          const payload = verdictId ? { ...input.event.payload, verdictId } : input.event.payload;
          const event = await appendEvent(trx, { claim_id: input.claimId, at: new Date(input.at), actor: input.event.actor, type: input.event.type, payload: JSON.stringify(payload), idempotency_key: input.key });
          // Another attempt of this same transition committed first: undo ours so a late attempt never overwrites newer state.
          if (event === undefined) throw new AlreadyApplied();
          // A claim marked stuck moves again: this transition committed.
          if (await clearClaimStuck(trx, input.claimId)) log.info({ type: input.event.type }, 'stuck claim moving again');
          const status = await claimStatus(trx, input.claimId);
          await notifyClaimChange(trx, {
            claimId: input.claimId,
            ...(input.taskId ? { taskId: input.taskId } : {}),
            ...(verdictId ? { verdictId } : {}),
            type: input.event.type,
            status,
          });
          log.info({ type: input.event.type, status, taskId: input.taskId ?? null }, 'claim transition');
          return { verdictId };
        });
      } catch (err) {
        if (isPermanentPgError(err)) return refusedForGood(`the ${input.event.type} write`, () => Promise.reject(err));
        if (!(err instanceof AlreadyApplied)) throw err;
        const verdictId = input.verdict ? await verdictIdOfVersion(db, input.claimId, input.verdict.version) : undefined;
        log.info({ type: input.event.type }, 'claim transition already applied');
        return { verdictId: verdictId ?? null };
      }
    },

    /**
     * Records that the claim's workflow met a write Postgres refuses for good: a stuck_claims row for the dashboard,
     * a claim_stuck event and a notification. When even the event is refused (the drift is in claim_events), the
     * row alone is kept; when that is refused too the failure goes back to the workflow, which carries on without it.
     */
    async markClaimStuck(input: StuckInput): Promise<{ recorded: 'event' | 'row' }> {
      const log = activityLog(deps, input.claimId);
      log.warn({ step: input.step, reason: input.reason }, 'claim stuck: a read-model write is refused for good');
      const mark = { claimId: input.claimId, workflowId: input.workflowId, step: input.step, reason: input.reason, at: new Date(input.at) };
      try {
        await db.transaction().execute(async (trx) => {
          await markClaimStuck(trx, mark);
          const event = await appendEvent(trx, { claim_id: input.claimId, at: new Date(input.at), actor: 'system', type: 'claim_stuck', payload: JSON.stringify({ step: input.step, reason: input.reason }), idempotency_key: input.key });
          if (event !== undefined) await notifyClaimChange(trx, { claimId: input.claimId, type: 'claim_stuck', status: await claimStatus(trx, input.claimId) });
        });
        return { recorded: 'event' };
      } catch (err) {
        if (!isPermanentPgError(err)) throw err;
        await refusedForGood('the stuck mark', () => markClaimStuck(db, mark));
        return { recorded: 'row' };
      }
    },
  };
}

export type ReviewActivities = ReturnType<typeof createReviewActivities>;
