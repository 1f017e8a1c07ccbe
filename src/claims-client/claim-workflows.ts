import { createHash, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcCancelledError, isGrpcDeadlineError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type UpdateDefinition } from '@temporalio/common';
import { DEFAULT_REVIEW_POLICY, PolicyRolloutError, TASK_ACTION_ERROR_CODES, TaskActionError, type Actor, type ReviewPolicy, type StoredReviewPolicy, type TaskActionErrorCode } from '../domain/review.ts';
import { EDITORIAL_ROLES, hasRole } from '../domain/roles.ts';
import { DEV_ACTOR_SIGNING_KEY, signActorUpdate } from '../domain/actor-signature.ts';
import type { Db } from '../../db/index.ts';
import { currentReviewPolicy, saveReviewPolicy } from '../../db/repositories/review-policies.ts';
import { findClaim } from '../../db/repositories/claims.ts';
import { latestVerdictRef } from '../../db/repositories/verdicts.ts';
import {
  approveUpdate,
  articleWorkflowId,
  claimStateQuery,
  claimStatusKey,
  claimTaskUpdate,
  claimWorkflowId,
  CURRENT_SLA_RULES,
  policyRolloutWorkflowId,
  releaseTaskUpdate,
  renewLeaseUpdate,
  reprioritizeUpdate,
  sendBackUpdate,
  submitVerdictUpdate,
  withdrawUpdate,
  type ArticleIntakeInput,
  type ClaimLiveState,
  type ClaimWorkflowInput,
  type PolicyRolloutInput,
  type RejectionDetails,
  type TaskActionResult,
} from '../../workflows/messages.ts';

/** The human steps, by action name: each is one Update of the claim workflow, with that Update's argument. */
const TASK_UPDATES = {
  claim: claimTaskUpdate,
  release: releaseTaskUpdate,
  renewLease: renewLeaseUpdate,
  submitVerdict: submitVerdictUpdate,
  approve: approveUpdate,
  sendBack: sendBackUpdate,
  withdraw: withdrawUpdate,
  reprioritize: reprioritizeUpdate,
} as const;

type TaskUpdates = typeof TASK_UPDATES;
type UpdateArg<D> = D extends UpdateDefinition<TaskActionResult, [infer A], string> ? A : never;

/** An action is its name plus the argument of its Update, so adding an Update adds an action without restating it. */
export type TaskAction = { [K in keyof TaskUpdates]: { type: K } & UpdateArg<TaskUpdates[K]> }[keyof TaskUpdates];

function isCode(value: unknown): value is TaskActionErrorCode {
  return typeof value === 'string' && (TASK_ACTION_ERROR_CODES as readonly string[]).includes(value);
}

function rejectionDetails(failure: ApplicationFailure): RejectionDetails {
  const first: unknown = failure.details?.[0];
  if (first && typeof first === 'object') {
    const d = first as Partial<RejectionDetails>;
    return { holder: typeof d.holder === 'string' ? d.holder : null, currentState: typeof d.currentState === 'string' ? d.currentState : null };
  }
  return { holder: null, currentState: null };
}

/**
 * What a caller passes so a retried request is the same Update: an Idempotency-Key already scoped to its user
 * (the API passes "<userId>:<key>"), never a bare client string that another user could repeat.
 */
export interface IdempotencyOptions {
  idempotencyKey?: string;
}

/**
 * The Temporal Update id for a scoped key and an action: the server answers a second Update with the same id on the
 * same run with the first one's outcome, so a retry after a lost response neither applies twice nor is refused.
 */
export function idempotentUpdateId(idempotencyKey: string, action: string): string {
  return `idem-${action}-${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex')}`;
}

/** Memo field naming the Idempotency-Key that started a correction run, so a retried request finds its own run. */
const CORRECTION_KEY_MEMO = 'correctionRequestId';

export interface ClaimWorkflows {
  startArticleIntake(articleId: string): Promise<{ workflowId: string }>;
  startClaim(claimId: string): Promise<{ workflowId: string }>;
  act(claimId: string, action: TaskAction, opts?: IdempotencyOptions): Promise<TaskActionResult>;
  requestCorrection(claimId: string, actor: Actor, reason: string, opts?: IdempotencyOptions): Promise<{ workflowId: string }>;
  liveState(claimId: string): Promise<ClaimLiveState>;
  /** The fixed review policy every workflow started here runs with, or null when they follow the stored versions. */
  readonly fixedPolicy: ReviewPolicy | null;
  /** The policy new claims start with: the fixed one (as version 0), or the newest stored version. */
  currentPolicy(): Promise<StoredReviewPolicy>;
  /**
   * Stores a new policy version (an admin's change) and starts telling every claim in flight, which follows it from
   * its next timer or at once on the rollout's signal. Refused ('conflict') when expectedVersion is not the version
   * in force, or when this client runs a fixed policy. Saving the policy in force again stores nothing.
   */
  savePolicy(input: { policy: ReviewPolicy; note: string | null; actor: Actor; expectedVersion?: number }): Promise<{ stored: StoredReviewPolicy; changed: boolean; rolloutWorkflowId: string | null }>;
}


/** How long a caller waits for an Update's result by default before it gets a "try again" (503 + Retry-After). */
export const DEFAULT_UPDATE_DEADLINE_MS = 15_000;

/** The failure type the claim workflow gives an Update whose write the read model refuses for good. */
const CLAIM_STUCK = 'claim_stuck';
const isStuck = (err: unknown): boolean => err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === CLAIM_STUCK;

export interface ClaimWorkflowsOptions {
  taskQueue: string;
  /**
   * A fixed review policy (tests run SLAs in seconds with one). Unset, with a read model: every start carries the
   * newest stored version and the claim follows later ones. Unset without one: the built-in default, fixed.
   */
  policy?: ReviewPolicy;
  /**
   * The read model: corrections are decided from the claim's recorded verdicts in Postgres, not from the workflow's
   * run in Temporal, which retention deletes. Without it, requestCorrection refuses to run.
   */
  db?: Db;
  /** How long an Update may take before the caller is told to retry (UPDATE_DEADLINE_MS). */
  updateDeadlineMs?: number;
  /** Signs every Update's actor (src/domain/actor-signature.ts); the workers must hold it. Unset: the public development key. */
  actorSigningKey?: string;
}

/** The one way the API and CLI drive claim workflows: starts are idempotent, human steps are Updates. */
export function createClaimWorkflows(client: Client, opts: ClaimWorkflowsOptions): ClaimWorkflows {
  const readModelForPolicy = opts.policy === undefined ? opts.db : undefined;
  const fixedPolicy = readModelForPolicy ? null : (opts.policy ?? DEFAULT_REVIEW_POLICY);

  /** What a start carries: the fixed policy, or the newest stored version (which the run then follows), and the SLA rules. */
  async function startPolicy(): Promise<Pick<ClaimWorkflowInput, 'policy' | 'policyVersion' | 'slaRules'>> {
    if (fixedPolicy) return { policy: fixedPolicy, slaRules: CURRENT_SLA_RULES };
    const stored = await currentReviewPolicy(readModelForPolicy!);
    return { policy: stored.policy, policyVersion: stored.version, slaRules: CURRENT_SLA_RULES };
  }
  const signingKey = opts.actorSigningKey ?? DEV_ACTOR_SIGNING_KEY;
  const taskQueue = opts.taskQueue;
  const updateDeadlineMs = opts.updateDeadlineMs ?? DEFAULT_UPDATE_DEADLINE_MS;
  const readModel = opts.db;

  async function startOnce(workflowType: string, workflowId: string, args: unknown[]): Promise<{ workflowId: string }> {
    try {
      await client.workflow.start(workflowType, {
        taskQueue,
        workflowId,
        args,
        // A claim or article workflow runs once; a finished one is not started again (corrections use their own path).
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { workflowId };
  }

  /** Why an update could not reach a running workflow: the claim has none (not_found) or it has finished (invalid_state). */
  async function notRunningError(handle: WorkflowHandle, claimId: string, cause: unknown): Promise<TaskActionError> {
    try {
      const description = await handle.describe();
      const status = description.typedSearchAttributes.get(claimStatusKey) ?? null;
      return new TaskActionError('invalid_state', `claim ${claimId} is ${status ?? description.status.name.toLowerCase()}: no task is open`, { currentState: status, cause });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return new TaskActionError('not_found', `claim ${claimId} has no workflow`, { cause });
      throw err;
    }
  }

  async function runUpdate(claimId: string, action: TaskAction, opts: IdempotencyOptions = {}): Promise<TaskActionResult> {
    const workflowId = claimWorkflowId(claimId);
    const handle = client.workflow.getHandle(workflowId);
    const { type, ...unsigned } = action;
    // The union is keyed by `type`, so `arg` is the argument of TASK_UPDATES[type]; TypeScript cannot correlate the two.
    const update = TASK_UPDATES[type] as UpdateDefinition<TaskActionResult, [typeof unsigned], string>;
    // The workflow accepts the actor only with this signature over the Update, the claim's workflow and every argument.
    const arg = Object.assign({}, unsigned, { signature: signActorUpdate(signingKey, update.name, workflowId, unsigned, Date.now()) });
    try {
      const updateId = opts.idempotencyKey === undefined ? undefined : idempotentUpdateId(opts.idempotencyKey, type);
      // A deadline on every call of the Update (start and result polls): a claim whose write hangs never holds a
      // request open forever. The Update itself goes on; a retry with the same key gets its result.
      return await client.withDeadline(Date.now() + updateDeadlineMs, async () => {
        const send = (id: string | undefined) => handle.executeUpdate(update, { args: [arg], ...(id ? { updateId: id } : {}) });
        try {
          return await send(updateId);
        } catch (err) {
          // Temporal answers an id it has seen with that Update's first outcome: a request that failed as stuck
          // (nothing applied) is sent once more under a fresh id of the same request ("<id>~…"), which the workflow
          // still recognises, so a retry after the repair goes through and is never applied twice.
          if (updateId === undefined || !isStuck(err)) throw err;
          return await send(`${updateId}~${randomUUID()}`);
        }
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) {
        throw new TaskActionError('timeout', `claim ${claimId} did not answer within ${Math.ceil(updateDeadlineMs / 1000)} s; retry the request (with the same Idempotency-Key) to get its result`, { cause: err });
      }
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === CLAIM_STUCK) {
        // The database's own words stay in the workflow and the log: the caller learns that, not why.
        throw new TaskActionError('stuck', `claim ${claimId} is stuck: its change could not be recorded and an operator must repair it; try again later`, { cause: err });
      }
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        const failure = err.cause;
        const details = rejectionDetails(failure);
        const code = isCode(failure.type) ? failure.type : 'invalid';
        throw new TaskActionError(code, failure.message, { ...details, cause: err });
      }
      if (err instanceof WorkflowNotFoundError) throw await notRunningError(handle, claimId, err);
      throw err;
    }
  }

  return {
    fixedPolicy,

    async currentPolicy() {
      if (fixedPolicy) return { version: 0, policy: fixedPolicy, note: null, createdBy: null, createdAt: null };
      return currentReviewPolicy(readModelForPolicy!);
    },

    async savePolicy({ policy: next, note, actor, expectedVersion }) {
      if (!readModelForPolicy) throw new TaskActionError('conflict', 'this deployment runs a fixed review policy (set in code); it cannot be changed here');
      const outcome = await saveReviewPolicy(readModelForPolicy, { policy: next, note, createdBy: actor.name, ...(expectedVersion !== undefined ? { expectedVersion } : {}) });
      if (outcome.kind === 'conflict') {
        throw new TaskActionError('conflict', `the review policy is at version ${outcome.current.version}, not ${expectedVersion}: reload it and apply your change again`, { currentState: String(outcome.current.version) });
      }
      const version = outcome.stored.version;
      const savedAt = outcome.stored.createdAt;
      if (version === 0 || !savedAt) return { stored: outcome.stored, changed: false, rolloutWorkflowId: null };
      const rolloutWorkflowId = policyRolloutWorkflowId(version, savedAt);
      // Started for a saved version and again for a retried save of it (the id makes it once): a save whose
      // rollout start failed is completed by its retry.
      const input: PolicyRolloutInput = { version };
      try {
        await startOnce('policyRolloutWorkflow', rolloutWorkflowId, [input]);
      } catch (err) {
        throw new PolicyRolloutError(`review policy version ${version} is saved, but telling the running claims failed (${err instanceof Error ? err.message : String(err)}); they follow it from their next timer, and saving the same policy again retries the rollout`, { cause: err });
      }
      return { stored: outcome.stored, changed: outcome.kind === 'saved', rolloutWorkflowId };
    },

    async startArticleIntake(articleId) {
      const input: ArticleIntakeInput = { articleId, ...(await startPolicy()) };
      return startOnce('articleIntakeWorkflow', articleWorkflowId(articleId), [input]);
    },

    async startClaim(claimId) {
      const input: ClaimWorkflowInput = { claimId, ...(await startPolicy()), mode: 'initial' };
      return startOnce('claimVerificationWorkflow', claimWorkflowId(claimId), [input]);
    },

    act: runUpdate,

    async requestCorrection(claimId, actor, reason, opts = {}) {
      if (!hasRole(actor.role, EDITORIAL_ROLES)) {
        throw new TaskActionError('forbidden', `${actor.name} is a ${actor.role}: only an editor can request a correction`);
      }
      if (reason.trim() === '') throw new TaskActionError('invalid', 'a correction needs a reason');
      const db = readModel;
      if (!db) throw new Error('createClaimWorkflows: corrections need the read model (opts.db)');
      const workflowId = claimWorkflowId(claimId);
      const handle = client.workflow.getHandle(workflowId);
      // Temporal only knows whether a round is running now (and which request started the latest one); the claim's
      // runs older than the namespace's retention are gone from it, so whether there is a verdict to correct is
      // Postgres's answer.
      let description: WorkflowExecutionDescription | null = null;
      try {
        description = await handle.describe();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      const requestId = opts.idempotencyKey === undefined ? undefined : idempotentUpdateId(opts.idempotencyKey, 'correction');
      if (description) {
        // The latest run was started by this very request (its response was lost): answer as the first time did.
        if (requestId !== undefined && description.memo?.[CORRECTION_KEY_MEMO] === requestId) return { workflowId };
        if (description.status.name === 'RUNNING') {
          const status = description.typedSearchAttributes.get(claimStatusKey) ?? null;
          throw new TaskActionError('conflict', `claim ${claimId} already has an open round (${status ?? 'running'})`, { currentState: status });
        }
      }
      const claim = await findClaim(db, claimId);
      if (!claim) throw new TaskActionError('not_found', `claim ${claimId} does not exist`);
      if (!(await latestVerdictRef(db, claimId))) {
        throw new TaskActionError('invalid_state', `claim ${claimId} has no recorded verdict to correct (${claim.status})`, { currentState: claim.status });
      }
      const input: ClaimWorkflowInput = { claimId, ...(await startPolicy()), mode: 'correction', correction: { reason: reason.trim(), actor } };
      try {
        await client.workflow.start('claimVerificationWorkflow', {
          taskQueue,
          workflowId,
          args: [input],
          // The previous run has closed; a correction is a new run of the same workflow id.
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          ...(requestId ? { memo: { [CORRECTION_KEY_MEMO]: requestId } } : {}),
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          throw new TaskActionError('conflict', `claim ${claimId} already has an open round`, { cause: err });
        }
        throw err;
      }
      return { workflowId };
    },

    async liveState(claimId) {
      const deadline = Date.now() + updateDeadlineMs;
      try {
        // A query waits for a worker to answer it: with none polling (all down, or busy) it gets the same deadline
        // as an Update, not a request held open indefinitely.
        return await client.withDeadline(deadline, () => client.workflow.getHandle(claimWorkflowId(claimId)).query(claimStateQuery));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new TaskActionError('not_found', `claim ${claimId} has no workflow`, { cause: err });
        // gRPC ends a call at its deadline with DEADLINE_EXCEEDED, or with CANCELLED ("Call cancelled") when the
        // deadline's timer wins the race (seen in about one query in four here): nothing else cancels this call.
        if (isGrpcDeadlineError(err) || (isGrpcCancelledError(err) && Date.now() >= deadline)) throw new TaskActionError('timeout', `claim ${claimId}'s workflow did not answer within ${Math.ceil(updateDeadlineMs / 1000)} s (no worker is taking its tasks); try again later`, { cause: err });
        throw err;
      }
    },
  };
}
