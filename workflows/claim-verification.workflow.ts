import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { EvidenceActivities } from '../activities/evidence.ts';
import type { ReviewActivities, TaskWrite, TransitionInput, VerdictWrite } from '../activities/review.ts';
import { actorSchema, nextPriority, verdictInputSchema, type Actor, type ReviewPolicy, type VerdictInput } from '../src/domain/review.ts';
import { assigneeKey, claimIdKey, claimStatusKey, priorityKey } from '../src/domain/search-attributes.ts';
import { PRIORITIES, type ClaimStatus, type Priority, type Role } from '../src/domain/types.ts';
import {
  WEBHOOK_WORKFLOW_TYPE,
  approveUpdate,
  claimStateQuery,
  claimTaskUpdate,
  releaseTaskUpdate,
  renewLeaseUpdate,
  reprioritizeUpdate,
  sendBackUpdate,
  submitVerdictUpdate,
  webhookWorkflowId,
  withdrawUpdate,
  type ClaimLiveState,
  type ClaimWorkflowInput,
  type ClaimWorkflowResult,
  type LiveTask,
  type RejectionCode,
  type TaskActionResult,
  type WebhookWorkflowInput,
} from './messages.ts';

type EvidenceStepActivities = Pick<EvidenceActivities, 'matchPriorVerdicts' | 'searchLibrary' | 'searchFactChecks'>;

// Read-model writes are quick Postgres transactions: short timeout so a dead worker's attempt is retried soon,
// unlimited retries with backoff for transient failures; typed business failures stop at once.
const writes = proxyActivities<ReviewActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes: ['not_found', 'invalid_state'] },
});
const { allocateTaskId } = proxyLocalActivities<ReviewActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds' },
});
// Library and prior-verdict searches are local Postgres queries: a short timeout lets a dead worker's attempt be retried soon.
// The evidence steps heartbeat: that is how a withdrawal's cancellation reaches an attempt in flight (which then writes
// nothing), and how a dead worker's attempt is noticed before its start-to-close timeout.
const library = proxyActivities<EvidenceStepActivities>({
  startToCloseTimeout: '15 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});
// An outside provider: a bounded number of attempts, and a bad key is not worth retrying at all.
const factChecks = proxyActivities<EvidenceStepActivities>({
  startToCloseTimeout: '15 seconds',
  // Short, so a cancellation gets through within a couple of seconds (the SDK sends heartbeats at 80% of this).
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['FactCheckAuthError'] },
});

const REVIEW_ROLES: readonly Role[] = ['fact_checker', 'admin'];
const APPROVAL_ROLES: readonly Role[] = ['editor', 'admin'];
const EDITOR_ROLES: readonly Role[] = ['editor', 'admin'];

function reject(code: RejectionCode, message: string, details: { holder?: string | null; currentState?: string | null } = {}): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true, details: [{ holder: details.holder ?? null, currentState: details.currentState ?? null }] });
}

/** A validator that meets a malformed request (missing fields, wrong types) refuses it as invalid instead of throwing a TypeError. */
function guarded<A>(validate: (args: A) => unknown): (args: A) => void {
  return (args) => {
    if (typeof args !== 'object' || args === null) reject('invalid', 'the request needs an object argument');
    try {
      validate(args);
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      reject('invalid', `malformed request: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

function checkActor(actor: unknown): Actor {
  const parsed = actorSchema.safeParse(actor);
  if (!parsed.success) reject('invalid', `actor is invalid: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`);
  return parsed.data;
}

const isTerminal = (s: ClaimLiveState): boolean => s.stage === 'done' || s.stage === 'withdrawn';
const isActive = (t: LiveTask): boolean => t.status === 'open' || t.status === 'claimed';

function errorMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * One claim from research to a recorded verdict (or withdrawal). The workflow owns the process; every
 * transition is written to Postgres by an activity, and human steps arrive as validated Updates.
 */
export async function claimVerificationWorkflow(input: ClaimWorkflowInput): Promise<ClaimWorkflowResult> {
  const info = workflowInfo();
  const policy: ReviewPolicy = input.policy;
  const mode = input.mode ?? 'initial';
  const s: ClaimLiveState = input.carried ?? {
    claimId: input.claimId,
    workflowId: info.workflowId,
    mode,
    stage: 'research',
    status: 'researching',
    priority: 'normal',
    round: 1,
    version: 1,
    tasks: [],
    proposed: null,
    verdictId: null,
    supersedes: null,
    correctionReason: input.correction?.reason ?? null,
    checks: [],
    evidenceProviderFailures: [],
    seq: 0,
  };

  // Wakes the main loop whenever state changes, so timers are recomputed.
  let tick = 0;
  // Every read-model write runs one at a time, in the order the workflow decided them: Postgres sees
  // transitions in the same order as the workflow, and each handler re-checks the state it acts on.
  let chain: Promise<unknown> = Promise.resolve();
  let queued = 0;
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    queued += 1;
    // Non-cancellable: a write the workflow has decided on finishes even when the run is cancelled, so the
    // cancellation's own withdrawal write (queued behind it) lands after it in Postgres, never before.
    const run = chain.then(() => CancellationScope.nonCancellable(fn));
    chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      queued -= 1;
      tick += 1;
    });
  }

  // The evidence step in flight, so a withdrawal can cancel it instead of waiting out a provider's retries.
  let research: CancellationScope | null = null;

  // Scoped to the run chain (continue-as-new keeps firstExecutionRunId): a later correction run of the same
  // version, after a withdrawn one, must not find the withdrawn run's writes and skip its own as already applied.
  const claimKeyPrefix = (): string => `${s.workflowId}:${info.firstExecutionRunId}:v${s.version}`;

  let lastAttrs = '';
  function syncSearchAttributes(): void {
    const assignee = s.tasks.find((t) => t.status === 'claimed')?.assignee ?? null;
    const next = JSON.stringify([s.status, s.priority, assignee]);
    if (next === lastAttrs) return;
    lastAttrs = next;
    const pairs: SearchAttributeUpdatePair[] = [
      { key: claimIdKey, value: s.claimId },
      { key: claimStatusKey, value: s.status },
      { key: priorityKey, value: s.priority },
      { key: assigneeKey, value: assignee },
    ];
    upsertSearchAttributes(pairs);
  }

  function taskWrite(t: LiveTask, create?: TaskWrite['create']): TaskWrite {
    return {
      id: t.id,
      ...(create ? { create } : {}),
      status: t.status,
      assignee: t.assignee,
      priority: t.priority,
      reviewer: t.reviewer,
      comment: t.comment,
      leaseExpiresAt: t.leaseExpiresAt,
      dueAt: t.dueAt,
      claimedAt: t.claimedAt,
      completedAt: t.completedAt,
      escalatedAt: t.escalationLevel > 0 ? t.openSince : null,
      escalationLevel: t.escalationLevel,
    };
  }

  /** Writes one transition (status, tasks, optional verdict, one event) and reflects it in search attributes. */
  async function persist(step: string, t: Omit<TransitionInput, 'claimId' | 'workflowId' | 'key' | 'at' | 'status' | 'priority'>): Promise<string | null> {
    s.seq += 1;
    syncSearchAttributes();
    const result = await writes.applyTransition({
      ...t,
      claimId: s.claimId,
      workflowId: s.workflowId,
      key: `${claimKeyPrefix()}:r${s.round}:${step}:${s.seq}`,
      status: s.status,
      priority: s.priority,
      at: Date.now(),
    });
    return result.verdictId;
  }

  function statusForTasks(): ClaimStatus {
    const active = s.tasks.filter(isActive);
    if (active.some((t) => t.kind === 'approval')) return 'awaiting_approval';
    if (active.some((t) => t.kind === 'review' && t.status === 'claimed')) return 'in_review';
    return 'awaiting_review';
  }

  async function openTask(kind: 'review' | 'approval', opts: { assignee: string | null; reviewer: string | null; comment: string | null }): Promise<LiveTask> {
    const id = await allocateTaskId();
    const now = Date.now();
    const task: LiveTask = {
      id,
      kind,
      status: opts.assignee ? 'claimed' : 'open',
      assignee: opts.assignee,
      priority: s.priority,
      round: s.round,
      escalationLevel: 0,
      openSince: now,
      claimedAt: opts.assignee ? now : null,
      completedAt: null,
      leaseExpiresAt: opts.assignee ? now + policy.leaseMs : null,
      dueAt: now + (opts.assignee ? policy.verdictSlaMs[s.priority] : policy.claimSlaMs[s.priority]),
      reviewer: opts.reviewer,
      comment: opts.comment,
    };
    s.tasks.push(task);
    return task;
  }

  function closeTask(t: LiveTask, status: 'completed' | 'cancelled'): void {
    t.status = status;
    t.leaseExpiresAt = null;
    t.completedAt = Date.now();
  }

  const createKey = (t: LiveTask, index: number): TaskWrite['create'] => ({ kind: t.kind, round: t.round, idempotencyKey: `${claimKeyPrefix()}:${t.kind}:r${t.round}:${index}` });

  function result(taskId: string | null): TaskActionResult {
    return { claimId: s.claimId, status: s.status, taskId, verdictId: s.verdictId };
  }

  function needsApproval(v: VerdictInput): boolean {
    return policy.approvers > 0 && policy.approvalRequiredFor.includes(v.rating);
  }

  /** Records the verdict with the transition that closed its last task (review when no approval is needed, else the final approval). */
  async function recordVerdict(closed: LiveTask, approver: string | null): Promise<void> {
    const proposed = s.proposed;
    if (!proposed) reject('invalid_state', 'there is no proposed verdict', { currentState: s.status });
    s.stage = 'done';
    s.status = 'verdict_recorded';
    const v = proposed.verdict;
    const verdict: VerdictWrite = {
      version: s.version,
      rating: v.rating,
      summary: v.summary,
      rationale: v.rationale ?? null,
      citations: v.citations,
      reviewer: proposed.reviewer,
      approver,
      supersedes: s.supersedes,
      correctionReason: s.mode === 'correction' ? s.correctionReason : null,
    };
    s.verdictId = await persist(`verdict-${closed.id}`, {
      tasks: [taskWrite(closed)],
      verdict,
      event: { type: 'verdict_recorded', actor: approver ?? proposed.reviewer, payload: { version: s.version, rating: v.rating, supersedes: s.supersedes, taskId: closed.id } },
      taskId: closed.id,
    });
  }

  // ---- validators (pure checks against the current state; the handlers re-run them under the lock) ----

  function findTask(taskId: string): LiveTask {
    if (typeof taskId !== 'string') reject('invalid', 'taskId is required');
    const task = s.tasks.find((t) => t.id === taskId);
    if (!task) reject('not_found', `task ${taskId} does not belong to claim ${s.claimId}'s current round`, { currentState: s.status });
    return task;
  }

  function requireRole(actor: Actor, roles: readonly Role[], what: string): void {
    if (!roles.includes(actor.role)) reject('forbidden', `${actor.name} is a ${actor.role}: ${what} needs ${roles.join(' or ')}`);
  }

  function requireHeldBy(task: LiveTask, actor: Actor): void {
    if (task.status === 'open') reject('invalid_state', `task ${task.id} is open: claim it first`, { currentState: 'open' });
    if (task.status !== 'claimed') reject('invalid_state', `task ${task.id} is ${task.status}`, { currentState: task.status });
    if (task.assignee !== actor.name) reject('forbidden', `task ${task.id} is held by ${task.assignee ?? 'nobody'}, not ${actor.name}`, { holder: task.assignee });
  }

  function requireFourEyes(task: LiveTask, actor: Actor): void {
    if (task.reviewer === actor.name) reject('forbidden', `${actor.name} proposed this verdict and cannot approve it (four-eyes)`, { holder: task.assignee });
    if (s.proposed?.approvals.includes(actor.name)) reject('forbidden', `${actor.name} has already approved this verdict`);
  }

  function validateClaim(args: { taskId: string; actor: Actor }): LiveTask {
    const actor = checkActor(args.actor);
    const task = findTask(args.taskId);
    requireRole(actor, task.kind === 'review' ? REVIEW_ROLES : APPROVAL_ROLES, `a ${task.kind} task`);
    if (task.status === 'claimed' && task.assignee !== actor.name) reject('conflict', `task ${task.id} is held by ${task.assignee}`, { holder: task.assignee, currentState: 'claimed' });
    if (task.status !== 'open' && task.status !== 'claimed') reject('invalid_state', `task ${task.id} is ${task.status}`, { currentState: task.status });
    if (task.kind === 'approval') requireFourEyes(task, actor);
    return task;
  }

  function validateRelease(args: { taskId: string; actor: Actor }): LiveTask {
    const actor = checkActor(args.actor);
    const task = findTask(args.taskId);
    if (task.status === 'claimed' && task.assignee !== actor.name && actor.role === 'admin') return task;
    requireHeldBy(task, actor);
    return task;
  }

  function validateRenewal(args: { taskId: string; actor: Actor }): LiveTask {
    const actor = checkActor(args.actor);
    const task = findTask(args.taskId);
    requireHeldBy(task, actor);
    // A holder who may no longer finish the task (their role changed) must not keep it from others.
    requireRole(actor, task.kind === 'review' ? REVIEW_ROLES : APPROVAL_ROLES, `a ${task.kind} task`);
    return task;
  }

  function validateSubmit(args: { taskId: string; actor: Actor; verdict: VerdictInput }): { task: LiveTask; verdict: VerdictInput } {
    const actor = checkActor(args.actor);
    const task = findTask(args.taskId);
    if (task.kind !== 'review') reject('invalid_state', `task ${task.id} is an approval task: approve or send back instead`, { currentState: s.status });
    requireRole(actor, REVIEW_ROLES, 'a verdict');
    requireHeldBy(task, actor);
    const parsed = verdictInputSchema.safeParse(args.verdict);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      reject('invalid', `verdict${issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`);
    }
    return { task, verdict: parsed.data };
  }

  function validateApproval(args: { taskId: string; actor: Actor }): LiveTask {
    const actor = checkActor(args.actor);
    const task = findTask(args.taskId);
    if (task.kind !== 'approval') reject('invalid_state', `task ${task.id} is a review task`, { currentState: s.status });
    requireRole(actor, APPROVAL_ROLES, 'an approval');
    requireFourEyes(task, actor);
    requireHeldBy(task, actor);
    if (!s.proposed) reject('invalid_state', 'there is no proposed verdict', { currentState: s.status });
    return task;
  }

  function validateSendBack(args: { taskId: string; actor: Actor; comment: string }): LiveTask {
    const task = validateApproval(args);
    if (typeof args.comment !== 'string' || args.comment.trim() === '') reject('invalid', 'comment: a send-back needs a comment for the reviewer');
    return task;
  }

  function validateWithdraw(args: { actor: Actor; reason: string }): void {
    const actor = checkActor(args.actor);
    requireRole(actor, EDITOR_ROLES, 'withdrawing a claim');
    if (isTerminal(s)) reject('invalid_state', `claim ${s.claimId} is ${s.status}`, { currentState: s.status });
    if (typeof args.reason !== 'string' || args.reason.trim() === '') reject('invalid', 'reason: withdrawing a claim needs a reason');
  }

  function validateReprioritize(args: { actor: Actor; priority: Priority }): void {
    const actor = checkActor(args.actor);
    requireRole(actor, EDITOR_ROLES, 'changing priority');
    if (!(PRIORITIES as readonly string[]).includes(args.priority)) reject('invalid', `priority must be one of ${PRIORITIES.join(', ')}`);
    if (isTerminal(s)) reject('invalid_state', `claim ${s.claimId} is ${s.status}`, { currentState: s.status });
  }

  // ---- handlers ----

  setHandler(claimStateQuery, () => s);

  setHandler(
    claimTaskUpdate,
    (args) =>
      exclusive(async () => {
        const task = validateClaim(args);
        // Already theirs: claiming again says they are still at it, so the lease restarts.
        if (task.status === 'claimed') return renewLease(task);
        const now = Date.now();
        task.status = 'claimed';
        task.assignee = args.actor.name;
        task.claimedAt = now;
        task.leaseExpiresAt = now + policy.leaseMs;
        if (task.kind === 'review') task.dueAt = now + policy.verdictSlaMs[task.priority];
        s.status = statusForTasks();
        await persist(`claim-${task.id}`, { tasks: [taskWrite(task)], event: { type: 'task_claimed', actor: args.actor.name, payload: { taskId: task.id, kind: task.kind } }, taskId: task.id });
        return result(task.id);
      }),
    { validator: guarded(validateClaim) },
  );

  setHandler(
    releaseTaskUpdate,
    (args) =>
      exclusive(async () => {
        const task = validateRelease(args);
        releaseToQueue(task);
        await persist(`release-${task.id}`, {
          tasks: [taskWrite(task)],
          event: { type: 'task_released', actor: args.actor.name, payload: { taskId: task.id, kind: task.kind } },
          taskId: task.id,
        });
        return result(task.id);
      }),
    { validator: guarded(validateRelease) },
  );

  setHandler(renewLeaseUpdate, (args) => exclusive(() => renewLease(validateRenewal(args))), { validator: guarded(validateRenewal) });

  setHandler(
    submitVerdictUpdate,
    (args) =>
      exclusive(async () => {
        const { task, verdict } = validateSubmit(args);
        closeTask(task, 'completed');
        s.proposed = { verdict, reviewer: args.actor.name, round: s.round, approvals: [] };
        if (!needsApproval(verdict)) {
          await recordVerdict(task, null);
          return result(task.id);
        }
        s.stage = 'approval';
        const approval = await openTask('approval', { assignee: null, reviewer: args.actor.name, comment: null });
        s.status = statusForTasks();
        await persist(`verdict-proposed-${task.id}`, {
          tasks: [taskWrite(task), taskWrite(approval, createKey(approval, 1))],
          event: { type: 'verdict_proposed', actor: args.actor.name, payload: { taskId: task.id, rating: verdict.rating, summary: verdict.summary, approvalTaskId: approval.id } },
          taskId: approval.id,
        });
        return result(task.id);
      }),
    { validator: guarded(validateSubmit) },
  );

  setHandler(
    approveUpdate,
    (args) =>
      exclusive(async () => {
        const task = validateApproval(args);
        const proposed = s.proposed;
        if (!proposed) reject('invalid_state', 'there is no proposed verdict', { currentState: s.status });
        closeTask(task, 'completed');
        proposed.approvals.push(args.actor.name);
        if (proposed.approvals.length < policy.approvers) {
          // More editors must sign off: the next approval task opens, the four-eyes rule covering everyone so far.
          const next = await openTask('approval', { assignee: null, reviewer: proposed.reviewer, comment: null });
          s.status = statusForTasks();
          await persist(`approve-${task.id}`, {
            tasks: [taskWrite(task), taskWrite(next, createKey(next, proposed.approvals.length + 1))],
            event: { type: 'verdict_approved', actor: args.actor.name, payload: { taskId: task.id, approvals: proposed.approvals.length, needed: policy.approvers, nextTaskId: next.id } },
            taskId: next.id,
          });
          return result(task.id);
        }
        await recordVerdict(task, proposed.approvals.join(', '));
        return result(task.id);
      }),
    { validator: guarded(validateApproval) },
  );

  setHandler(
    sendBackUpdate,
    (args) =>
      exclusive(async () => {
        const task = validateSendBack(args);
        const proposed = s.proposed;
        if (!proposed) reject('invalid_state', 'there is no proposed verdict', { currentState: s.status });
        const comment = args.comment.trim();
        closeTask(task, 'completed');
        task.comment = comment;
        s.proposed = null;
        s.round += 1;
        s.stage = 'review';
        // Round n+1 goes straight back to the reviewer who proposed the verdict, with the editor's comment.
        const review = await openTask('review', { assignee: proposed.reviewer, reviewer: proposed.reviewer, comment });
        s.status = statusForTasks();
        await persist(`send-back-${task.id}`, {
          tasks: [taskWrite(task), taskWrite(review, createKey(review, 1))],
          event: { type: 'sent_back', actor: args.actor.name, payload: { taskId: task.id, comment, reviewer: proposed.reviewer, round: s.round, reviewTaskId: review.id } },
          taskId: review.id,
        });
        return result(task.id);
      }),
    { validator: guarded(validateSendBack) },
  );

  setHandler(
    withdrawUpdate,
    (args) =>
      exclusive(async () => {
        validateWithdraw(args);
        if (research && patched('withdraw-cancels-research')) research.cancel();
        await withdraw(args.actor.name, args.reason.trim());
        return result(null);
      }),
    { validator: guarded(validateWithdraw) },
  );

  setHandler(
    reprioritizeUpdate,
    (args) =>
      exclusive(async () => {
        validateReprioritize(args);
        const from = s.priority;
        s.priority = args.priority;
        const now = Date.now();
        const active = s.tasks.filter(isActive);
        for (const t of active) {
          t.priority = args.priority;
          // A new priority restarts the SLA clock under that priority's limits.
          if (t.status === 'open') {
            t.openSince = now;
            t.dueAt = now + policy.claimSlaMs[t.priority];
          }
        }
        await persist('reprioritize', {
          tasks: active.map((t) => taskWrite(t)),
          event: { type: 'reprioritized', actor: args.actor.name, payload: { from, to: args.priority } },
          taskId: active[0]?.id ?? null,
        });
        return result(active[0]?.id ?? null);
      }),
    { validator: guarded(validateReprioritize) },
  );

  /** Cancels every open task and ends the claim's process: one transition, written by the withdraw Update and by a cancelled run. */
  async function withdraw(actor: string, reason: string): Promise<void> {
    const cancelled = s.tasks.filter(isActive);
    for (const t of cancelled) closeTask(t, 'cancelled');
    s.stage = 'withdrawn';
    const payload = { reason, cancelledTaskIds: cancelled.map((t) => t.id) };
    // (Checked by mode, not by s.supersedes: a withdrawal buffered with the start runs before beginRun has read the verdict.)
    if (s.mode === 'correction') {
      // Withdrawing a correction abandons the reopening, not the claim: the recorded verdict stands (and stays
      // published), and the claim can be corrected again later.
      s.status = 'verdict_recorded';
      await persist('withdraw', { tasks: cancelled.map((t) => taskWrite(t)), event: { type: 'correction_withdrawn', actor, payload: { ...payload, standingVerdictId: s.supersedes } } });
      return;
    }
    s.status = 'withdrawn';
    await persist('withdraw', {
      tasks: cancelled.map((t) => taskWrite(t)),
      event: { type: 'withdrawn', actor, payload },
    });
  }

  /** The holder is active: the lease counts again from now, and the main loop re-arms its timer (tick). */
  async function renewLease(task: LiveTask): Promise<TaskActionResult> {
    const assignee = task.assignee;
    if (task.status !== 'claimed' || assignee === null) reject('invalid_state', `task ${task.id} is ${task.status}`, { currentState: task.status });
    task.leaseExpiresAt = Date.now() + policy.leaseMs;
    await writes.renewTaskLease({ claimId: s.claimId, taskId: task.id, holder: assignee, leaseExpiresAt: task.leaseExpiresAt, status: s.status });
    return result(task.id);
  }

  function releaseToQueue(task: LiveTask): void {
    const now = Date.now();
    task.status = 'open';
    task.assignee = null;
    task.claimedAt = null;
    task.leaseExpiresAt = null;
    task.openSince = now;
    task.dueAt = now + policy.claimSlaMs[task.priority];
    s.status = statusForTasks();
  }

  // ---- policy timers ----

  function claimDeadline(t: LiveTask): number | null {
    if (t.status !== 'open' || t.escalationLevel >= policy.maxEscalations) return null;
    return t.openSince + policy.claimSlaMs[t.priority];
  }

  function nextDeadline(): number | null {
    let next: number | null = null;
    for (const t of s.tasks) {
      const d = t.status === 'claimed' ? t.leaseExpiresAt : claimDeadline(t);
      if (d !== null && (next === null || d < next)) next = d;
    }
    return next;
  }

  async function fireTimers(): Promise<void> {
    const now = Date.now();
    for (const t of s.tasks) {
      if (t.status === 'claimed' && t.leaseExpiresAt !== null && now >= t.leaseExpiresAt) {
        const holder = t.assignee;
        releaseToQueue(t);
        await persist(`lease-expired-${t.id}`, { tasks: [taskWrite(t)], event: { type: 'lease_expired', actor: 'system', payload: { taskId: t.id, kind: t.kind, previousAssignee: holder } }, taskId: t.id });
      }
      const deadline = claimDeadline(t);
      if (deadline !== null && now >= deadline) {
        const from = t.priority;
        const to = nextPriority(from);
        t.escalationLevel += 1;
        t.priority = to;
        t.openSince = now;
        t.dueAt = now + policy.claimSlaMs[to];
        if (PRIORITIES.indexOf(to) > PRIORITIES.indexOf(s.priority)) s.priority = to;
        await persist(`escalated-${t.id}-${t.escalationLevel}`, {
          tasks: [taskWrite(t)],
          event: { type: 'escalated', actor: 'system', payload: { taskId: t.id, kind: t.kind, from, to, level: t.escalationLevel } },
          taskId: t.id,
        });
      }
    }
  }

  // ---- the run ----

  /** Everything from the start to the end of the claim's process (or this run's continue-as-new). */
  async function run(): Promise<ClaimWorkflowResult> {
    if (!input.carried) {
      await exclusive(async () => {
        // A withdrawal can arrive with the start, before this step runs: then there is nothing to begin.
        if (isTerminal(s)) return;
        const begun = await writes.beginRun({
          claimId: s.claimId,
          workflowId: s.workflowId,
          key: `${s.workflowId}:${mode}:${info.firstExecutionRunId}:begin`,
          mode,
          correction: input.correction ? { reason: input.correction.reason, actor: input.correction.actor } : null,
          at: Date.now(),
        });
        s.priority = begun.priority;
        s.version = (begun.latestVerdict?.version ?? 0) + 1;
        s.supersedes = begun.latestVerdict?.id ?? null;
        if (mode === 'correction') s.status = 'awaiting_review';
        syncSearchAttributes();
      });

      if (mode === 'initial') {
        const steps: Array<[string, (i: { claimId: string }) => Promise<unknown>]> = [
          ['matchPriorVerdicts', library.matchPriorVerdicts],
          ['searchLibrary', library.searchLibrary],
          ['searchFactChecks', factChecks.searchFactChecks],
        ];
        for (const [name, step] of steps) {
          if (isTerminal(s)) break;
          const scope = new CancellationScope();
          research = scope;
          try {
            await scope.run(() => step({ claimId: s.claimId }));
          } catch (err) {
            // Withdrawn meanwhile (the step cancelled, or failing late): nothing more is written for this claim.
            if (isTerminal(s)) break;
            // The workflow itself was cancelled: that is not a provider failure.
            if (isCancellation(err)) throw err;
            // Evidence helps the reviewer but is not required: a failed provider is recorded, the claim goes on.
            const message = errorMessage(err);
            s.evidenceProviderFailures.push(`${name}: ${message}`);
            await exclusive(async () => {
              if (!isTerminal(s)) await persist(`evidence-failed-${name}`, { event: { type: 'evidence_provider_failed', actor: 'system', payload: { step: name, message } } });
            });
          } finally {
            research = null;
          }
        }
        if (!isTerminal(s)) {
          await exclusive(async () => {
            if (isTerminal(s)) return;
            s.checks = await writes.runAutomatedChecks({ claimId: s.claimId, key: `${claimKeyPrefix()}:checks`, at: Date.now() });
          });
        }
      }

      await exclusive(async () => {
        if (isTerminal(s)) return;
        s.stage = 'review';
        const task = await openTask('review', { assignee: null, reviewer: null, comment: mode === 'correction' ? s.correctionReason : null });
        s.status = statusForTasks();
        await persist('review-opened', {
          tasks: [taskWrite(task, createKey(task, 1))],
          event: { type: 'review_opened', actor: 'system', payload: { taskId: task.id, round: s.round, priority: s.priority } },
          taskId: task.id,
        });
      });
    }

    const historyLimit = input.continueAsNewAfterEvents;
    const shouldContinueAsNew = (): boolean => {
      const now = workflowInfo();
      return now.continueAsNewSuggested || (historyLimit !== undefined && now.historyLength > historyLimit);
    };

    while (!isTerminal(s)) {
      const seen = tick;
      const deadline = nextDeadline();
      if (deadline === null) {
        await condition(() => tick !== seen || isTerminal(s) || shouldContinueAsNew());
      } else {
        const woke = await condition(() => tick !== seen || isTerminal(s) || shouldContinueAsNew(), Math.max(deadline - Date.now(), 1));
        if (!woke) await exclusive(fireTimers);
      }
      if (!isTerminal(s) && shouldContinueAsNew()) {
        await condition(() => queued === 0 && allHandlersFinished());
        if (!isTerminal(s)) {
          await continueAsNew<typeof claimVerificationWorkflow>({ ...input, carried: s });
        }
      }
    }

    await condition(() => queued === 0 && allHandlersFinished());

    if (s.stage === 'done' && s.verdictId) {
      const webhookInput: WebhookWorkflowInput = { claimId: s.claimId, verdictId: s.verdictId, event: s.mode === 'correction' ? 'verdict.corrected' : 'verdict.recorded' };
      try {
        // Delivery is its own workflow (retries outlive this one); started by name and never awaited.
        await startChild<(i: WebhookWorkflowInput) => Promise<unknown>>(WEBHOOK_WORKFLOW_TYPE, {
          workflowId: webhookWorkflowId(s.verdictId),
          args: [webhookInput],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          taskQueue: info.taskQueue,
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }

    return { claimId: s.claimId, status: s.status, verdictId: s.verdictId, version: s.stage === 'done' ? s.version : null };
  }

  try {
    return await run();
  } catch (err) {
    // Cancelled from Temporal (an operator in the UI or CLI), not withdrawn through the API: the read model must
    // not go on showing open tasks nobody can act on, so the cancellation is written as a withdrawal, then the
    // run ends as cancelled.
    if (!isCancellation(err) || isTerminal(s)) throw err;
    await CancellationScope.nonCancellable(async () => {
      await exclusive(async () => {
        // A withdrawal already queued ahead of this one has ended the claim.
        if (!isTerminal(s)) await withdraw('temporal', 'workflow cancelled in Temporal');
      });
      await condition(() => queued === 0 && allHandlersFinished());
    });
    throw err;
  }
}
