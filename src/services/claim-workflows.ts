import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { DEFAULT_REVIEW_POLICY, type Actor, type ReviewPolicy, type TaskActionErrorCode, type VerdictInput } from '../domain/review.ts';
import type { Priority } from '../domain/types.ts';
import {
  approveUpdate,
  articleWorkflowId,
  claimStateQuery,
  claimStatusKey,
  claimTaskUpdate,
  claimWorkflowId,
  releaseTaskUpdate,
  renewLeaseUpdate,
  reprioritizeUpdate,
  sendBackUpdate,
  submitVerdictUpdate,
  withdrawUpdate,
  type ArticleIntakeInput,
  type ClaimLiveState,
  type ClaimWorkflowInput,
  type RejectionDetails,
  type TaskActionResult,
} from '../../workflows/messages.ts';

export type TaskAction =
  | { type: 'claim'; taskId: string; actor: Actor }
  | { type: 'release'; taskId: string; actor: Actor }
  | { type: 'renewLease'; taskId: string; actor: Actor }
  | { type: 'submitVerdict'; taskId: string; actor: Actor; verdict: VerdictInput }
  | { type: 'approve'; taskId: string; actor: Actor }
  | { type: 'sendBack'; taskId: string; actor: Actor; comment: string }
  | { type: 'withdraw'; actor: Actor; reason: string }
  | { type: 'reprioritize'; actor: Actor; priority: Priority };

export type { TaskActionResult, ClaimLiveState } from '../../workflows/messages.ts';

const ERROR_CODES: readonly TaskActionErrorCode[] = ['forbidden', 'conflict', 'invalid_state', 'not_found', 'invalid'];

export class TaskActionError extends Error {
  readonly code: TaskActionErrorCode;
  readonly holder: string | null;
  readonly currentState: string | null;
  constructor(code: TaskActionErrorCode, message: string, opts: { holder?: string | null; currentState?: string | null; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TaskActionError';
    this.code = code;
    this.holder = opts.holder ?? null;
    this.currentState = opts.currentState ?? null;
  }
}

function isCode(value: unknown): value is TaskActionErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

function rejectionDetails(failure: ApplicationFailure): RejectionDetails {
  const first: unknown = failure.details?.[0];
  if (first && typeof first === 'object') {
    const d = first as Partial<RejectionDetails>;
    return { holder: typeof d.holder === 'string' ? d.holder : null, currentState: typeof d.currentState === 'string' ? d.currentState : null };
  }
  return { holder: null, currentState: null };
}

export interface ClaimWorkflows {
  startArticleIntake(articleId: string): Promise<{ workflowId: string }>;
  startClaim(claimId: string): Promise<{ workflowId: string }>;
  act(claimId: string, action: TaskAction): Promise<TaskActionResult>;
  requestCorrection(claimId: string, actor: Actor, reason: string): Promise<{ workflowId: string }>;
  liveState(claimId: string): Promise<ClaimLiveState>;
  /** The review policy every workflow started here runs with (shown read-only to admins). */
  readonly policy: ReviewPolicy;
}

/** The one way the API and CLI drive claim workflows: starts are idempotent, human steps are Updates. */
export function createClaimWorkflows(client: Client, opts: { taskQueue: string; policy?: ReviewPolicy }): ClaimWorkflows {
  const policy = opts.policy ?? DEFAULT_REVIEW_POLICY;
  const taskQueue = opts.taskQueue;

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

  async function runUpdate(claimId: string, action: TaskAction): Promise<TaskActionResult> {
    const handle = client.workflow.getHandle(claimWorkflowId(claimId));
    try {
      switch (action.type) {
        case 'claim':
          return await handle.executeUpdate(claimTaskUpdate, { args: [{ taskId: action.taskId, actor: action.actor }] });
        case 'release':
          return await handle.executeUpdate(releaseTaskUpdate, { args: [{ taskId: action.taskId, actor: action.actor }] });
        case 'renewLease':
          return await handle.executeUpdate(renewLeaseUpdate, { args: [{ taskId: action.taskId, actor: action.actor }] });
        case 'submitVerdict':
          return await handle.executeUpdate(submitVerdictUpdate, { args: [{ taskId: action.taskId, actor: action.actor, verdict: action.verdict }] });
        case 'approve':
          return await handle.executeUpdate(approveUpdate, { args: [{ taskId: action.taskId, actor: action.actor }] });
        case 'sendBack':
          return await handle.executeUpdate(sendBackUpdate, { args: [{ taskId: action.taskId, actor: action.actor, comment: action.comment }] });
        case 'withdraw':
          return await handle.executeUpdate(withdrawUpdate, { args: [{ actor: action.actor, reason: action.reason }] });
        case 'reprioritize':
          return await handle.executeUpdate(reprioritizeUpdate, { args: [{ actor: action.actor, priority: action.priority }] });
      }
    } catch (err) {
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
    policy,
    startArticleIntake(articleId) {
      const input: ArticleIntakeInput = { articleId, policy };
      return startOnce('articleIntakeWorkflow', articleWorkflowId(articleId), [input]);
    },

    startClaim(claimId) {
      const input: ClaimWorkflowInput = { claimId, policy, mode: 'initial' };
      return startOnce('claimVerificationWorkflow', claimWorkflowId(claimId), [input]);
    },

    act: runUpdate,

    async requestCorrection(claimId, actor, reason) {
      if (actor.role !== 'editor' && actor.role !== 'admin') {
        throw new TaskActionError('forbidden', `${actor.name} is a ${actor.role}: only an editor can request a correction`);
      }
      if (reason.trim() === '') throw new TaskActionError('invalid', 'a correction needs a reason');
      const workflowId = claimWorkflowId(claimId);
      const handle = client.workflow.getHandle(workflowId);
      let description;
      try {
        description = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new TaskActionError('not_found', `claim ${claimId} has no workflow`, { cause: err });
        throw err;
      }
      const status = description.typedSearchAttributes.get(claimStatusKey) ?? null;
      if (description.status.name === 'RUNNING') {
        throw new TaskActionError('conflict', `claim ${claimId} already has an open round (${status ?? 'running'})`, { currentState: status });
      }
      if (status !== 'verdict_recorded') {
        throw new TaskActionError('invalid_state', `claim ${claimId} has no recorded verdict to correct (${status ?? description.status.name.toLowerCase()})`, { currentState: status });
      }
      const input: ClaimWorkflowInput = { claimId, policy, mode: 'correction', correction: { reason: reason.trim(), actor } };
      try {
        await client.workflow.start('claimVerificationWorkflow', {
          taskQueue,
          workflowId,
          args: [input],
          // The previous run has closed; a correction is a new run of the same workflow id.
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
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
      try {
        return await client.workflow.getHandle(claimWorkflowId(claimId)).query(claimStateQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new TaskActionError('not_found', `claim ${claimId} has no workflow`, { cause: err });
        throw err;
      }
    },
  };
}
