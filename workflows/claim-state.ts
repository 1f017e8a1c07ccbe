// The claim's state machine as functions over plain data: no Temporal calls, no clock, no I/O, so every rule can be
// exercised in a unit test in milliseconds. Time comes in as `now`, task ids as `newTask` (allocated by the workflow),
// and a transition's write is returned as data for the workflow to persist.
import type { TaskWrite, TransitionInput, VerdictWrite } from '../activities/review.ts';
import {
  DEFAULT_REVIEW_POLICY,
  actorSchema,
  nextPriority,
  verdictInputSchema,
  type Actor,
  type ReviewPolicy,
  type TaskActionErrorCode,
  type VerdictInput,
} from '../src/domain/review.ts';
import { APPROVAL_ROLES, EDITOR_ROLES, REVIEW_ROLES } from '../src/domain/roles.ts';
import { PRIORITIES, type ClaimStatus, type Priority, type Role } from '../src/domain/types.ts';
import type { ClaimLiveState, ClaimWorkflowInput, ClaimWorkflowMode, LiveTask } from './messages.ts';

/** A refused Update: the workflow turns it into a non-retryable ApplicationFailure of type `code`. */
export class ClaimRejection extends Error {
  readonly code: TaskActionErrorCode;
  readonly holder: string | null;
  readonly currentState: string | null;
  constructor(code: TaskActionErrorCode, message: string, details: { holder?: string | null; currentState?: string | null } = {}) {
    super(message);
    this.name = 'ClaimRejection';
    this.code = code;
    this.holder = details.holder ?? null;
    this.currentState = details.currentState ?? null;
  }
}

function reject(code: TaskActionErrorCode, message: string, details: { holder?: string | null; currentState?: string | null } = {}): never {
  throw new ClaimRejection(code, message, details);
}

/** A validator that meets a malformed request (missing fields, wrong types) refuses it as invalid instead of throwing a TypeError. */
export function guarded<A, R>(validate: (s: ClaimLiveState, args: A) => R): (s: ClaimLiveState, args: A) => R {
  return (s, args) => {
    if (typeof args !== 'object' || args === null) reject('invalid', 'the request needs an object argument');
    try {
      return validate(s, args);
    } catch (err) {
      if (err instanceof ClaimRejection) throw err;
      reject('invalid', `malformed request: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

// ---- durations ----

/**
 * A policy's duration, falling back to the default policy's when the field is missing or not a positive number:
 * a policy carried from an older run (or typed by hand) must never turn a deadline into NaN, which would leave the
 * claim with no timer at all.
 */
function durationOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
export const leaseMs = (policy: ReviewPolicy): number => durationOr(policy.leaseMs, DEFAULT_REVIEW_POLICY.leaseMs);
export const claimSlaMs = (policy: ReviewPolicy, p: Priority): number => durationOr(policy.claimSlaMs?.[p], DEFAULT_REVIEW_POLICY.claimSlaMs[p]);
export const verdictSlaMs = (policy: ReviewPolicy, p: Priority): number => durationOr(policy.verdictSlaMs?.[p], DEFAULT_REVIEW_POLICY.verdictSlaMs[p]);
const maxEscalations = (policy: ReviewPolicy): number => (typeof policy.maxEscalations === 'number' ? policy.maxEscalations : DEFAULT_REVIEW_POLICY.maxEscalations);
/** How many editors approve, and which ratings need them: the default policy's where a carried policy lacks them. */
const approversOf = (policy: ReviewPolicy): number => (typeof policy.approvers === 'number' && Number.isInteger(policy.approvers) && policy.approvers >= 0 ? policy.approvers : DEFAULT_REVIEW_POLICY.approvers);
const approvalRatingsOf = (policy: ReviewPolicy): readonly string[] => (Array.isArray(policy.approvalRequiredFor) ? policy.approvalRequiredFor : DEFAULT_REVIEW_POLICY.approvalRequiredFor);

// ---- the state and its reading ----

export function initialState(input: Pick<ClaimWorkflowInput, 'claimId' | 'mode' | 'correction'>, workflowId: string): ClaimLiveState {
  return {
    claimId: input.claimId,
    workflowId,
    mode: input.mode ?? 'initial',
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
}

export const isTerminal = (s: ClaimLiveState): boolean => s.stage === 'done' || s.stage === 'withdrawn';
export const isActive = (t: LiveTask): boolean => t.status === 'open' || t.status === 'claimed';

/** The claim status the read model shows for the tasks in flight. */
export function statusForTasks(tasks: readonly LiveTask[]): ClaimStatus {
  const active = tasks.filter(isActive);
  if (active.some((t) => t.kind === 'approval')) return 'awaiting_approval';
  if (active.some((t) => t.kind === 'review' && t.status === 'claimed')) return 'in_review';
  return 'awaiting_review';
}

/** Who the search attributes name as working on the claim. */
export const currentAssignee = (s: ClaimLiveState): string | null => s.tasks.find((t) => t.status === 'claimed')?.assignee ?? null;

/** When an open task escalates next, or null once it has escalated as often as the policy allows. */
export function claimDeadline(t: LiveTask, policy: ReviewPolicy): number | null {
  if (t.status !== 'open' || t.escalationLevel >= maxEscalations(policy)) return null;
  return t.openSince + claimSlaMs(policy, t.priority);
}

/**
 * When a claimed task escalates for its verdict SLA (rules 2: its verdict clock is set), or null: not claimed, a
 * rules-1 task, or escalated as often as the policy allows.
 */
export function verdictDeadline(t: LiveTask, policy: ReviewPolicy): number | null {
  if (t.status !== 'claimed' || typeof t.verdictClockSince !== 'number' || t.escalationLevel >= maxEscalations(policy)) return null;
  return t.verdictClockSince + verdictSlaMs(policy, t.priority);
}

/** The escalation deadline of a task in its current status (open: claim SLA; claimed: verdict SLA), or null. */
export const slaDeadline = (t: LiveTask, policy: ReviewPolicy): number | null => (t.status === 'claimed' ? verdictDeadline(t, policy) : claimDeadline(t, policy));

/** The earliest moment a timer must fire (an SLA escalation or a lease expiry), or null when nothing is pending. */
export function nextDeadline(s: ClaimLiveState, policy: ReviewPolicy): number | null {
  let next: number | null = null;
  const consider = (d: number | null): void => {
    if (d !== null && (next === null || d < next)) next = d;
  };
  for (const t of s.tasks) {
    if (t.status === 'claimed') consider(t.leaseExpiresAt);
    consider(slaDeadline(t, policy));
  }
  return next;
}

export const leaseExpired = (t: LiveTask, now: number): boolean => t.status === 'claimed' && t.leaseExpiresAt !== null && now >= t.leaseExpiresAt;
export function escalationDue(t: LiveTask, policy: ReviewPolicy, now: number): boolean {
  const deadline = slaDeadline(t, policy);
  return deadline !== null && now >= deadline;
}

/** The due time the queue shows for a task under a policy: its current SLA clock plus that SLA (a finished or rules-1 claimed task keeps its own). */
function dueAtUnder(t: LiveTask, policy: ReviewPolicy): number | null {
  if (t.status === 'open') return t.openSince + claimSlaMs(policy, t.priority);
  if (t.status === 'claimed' && typeof t.verdictClockSince === 'number') return t.verdictClockSince + verdictSlaMs(policy, t.priority);
  return t.dueAt;
}

// ---- writes ----

/** One transition for the read model; the workflow adds the claim, key, status, priority and time when it persists it. */
export type ClaimWrite = { step: string } & Omit<TransitionInput, 'claimId' | 'workflowId' | 'key' | 'at' | 'status' | 'priority'>;

export function taskWrite(t: LiveTask, create?: TaskWrite['create']): TaskWrite {
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

/** What a transition needs besides the state: the policy, the workflow's clock, and the run's idempotency-key prefix. */
export interface TransitionContext {
  policy: ReviewPolicy;
  now: number;
  keyPrefix: string;
  /** The run's SLA rules (workflows/messages.ts CURRENT_SLA_RULES); absent means 1. */
  slaRules?: number;
}

/** Rules 2: release and reclaim keep a task's clocks, and a claimed task has a verdict deadline. */
const keepsClocks = (ctx: Pick<TransitionContext, 'slaRules'>): boolean => (ctx.slaRules ?? 1) >= 2;

/** A task id allocated by the workflow for a transition that opens a task, and the time the task opens. */
export interface NewTask {
  id: string;
  at: number;
}

const createKey = (ctx: TransitionContext, t: LiveTask, index: number): TaskWrite['create'] => ({
  kind: t.kind,
  round: t.round,
  idempotencyKey: `${ctx.keyPrefix}:${t.kind}:r${t.round}:${index}`,
});

function openTask(s: ClaimLiveState, ctx: TransitionContext, kind: 'review' | 'approval', newTask: NewTask, opts: { assignee: string | null; reviewer: string | null; comment: string | null }): LiveTask {
  const policy = ctx.policy;
  const now = newTask.at;
  const task: LiveTask = {
    id: newTask.id,
    kind,
    status: opts.assignee ? 'claimed' : 'open',
    assignee: opts.assignee,
    priority: s.priority,
    round: s.round,
    escalationLevel: 0,
    openSince: now,
    claimedAt: opts.assignee ? now : null,
    completedAt: null,
    leaseExpiresAt: opts.assignee ? now + leaseMs(policy) : null,
    dueAt: now + (opts.assignee ? verdictSlaMs(policy, s.priority) : claimSlaMs(policy, s.priority)),
    reviewer: opts.reviewer,
    comment: opts.comment,
  };
  // (A task opened already claimed, a send-back's new round, starts its verdict clock at once.)
  if (keepsClocks(ctx)) task.verdictClockSince = opts.assignee ? now : null;
  s.tasks.push(task);
  return task;
}

function closeTask(t: LiveTask, status: 'completed' | 'cancelled', now: number): void {
  t.status = status;
  t.leaseExpiresAt = null;
  t.completedAt = now;
}

function releaseToQueue(s: ClaimLiveState, task: LiveTask, ctx: TransitionContext): void {
  task.status = 'open';
  task.assignee = null;
  task.claimedAt = null;
  task.leaseExpiresAt = null;
  // Rules 2: the claim SLA clock keeps running from when the task opened (or last escalated), so claiming and
  // releasing a task never holds off its escalation; rules 1 restarted it here.
  if (!keepsClocks(ctx)) task.openSince = ctx.now;
  task.dueAt = task.openSince + claimSlaMs(ctx.policy, task.priority);
  s.status = statusForTasks(s.tasks);
}

// ---- validators (pure checks against the current state; the workflow runs them before and again inside the handler) ----

function checkActor(actor: unknown): Actor {
  const parsed = actorSchema.safeParse(actor);
  if (!parsed.success) reject('invalid', `actor is invalid: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`);
  return parsed.data;
}

function findTask(s: ClaimLiveState, taskId: string): LiveTask {
  if (typeof taskId !== 'string') reject('invalid', 'taskId is required');
  const task = s.tasks.find((t) => t.id === taskId);
  if (!task) reject('not_found', `task ${taskId} does not belong to claim ${s.claimId}'s current round`, { currentState: s.status });
  return task;
}

function requireRole(actor: Actor, roles: readonly Role[], what: string): void {
  if (!roles.includes(actor.role)) reject('forbidden', `${actor.name} is a ${actor.role}: ${what} needs ${roles.join(' or ')}`);
}

const rolesFor = (task: LiveTask): readonly Role[] => (task.kind === 'review' ? REVIEW_ROLES : APPROVAL_ROLES);

function requireHeldBy(task: LiveTask, actor: Actor): void {
  if (task.status === 'open') reject('invalid_state', `task ${task.id} is open: claim it first`, { currentState: 'open' });
  if (task.status !== 'claimed') reject('invalid_state', `task ${task.id} is ${task.status}`, { currentState: task.status });
  if (task.assignee !== actor.name) reject('forbidden', `task ${task.id} is held by ${task.assignee ?? 'nobody'}, not ${actor.name}`, { holder: task.assignee });
}

/** Four-eyes: whoever proposed the verdict never approves it, and no editor approves it twice. */
function requireFourEyes(s: ClaimLiveState, task: LiveTask, actor: Actor): void {
  if (task.reviewer === actor.name) reject('forbidden', `${actor.name} proposed this verdict and cannot approve it (four-eyes)`, { holder: task.assignee });
  if (s.proposed?.approvals.includes(actor.name)) reject('forbidden', `${actor.name} has already approved this verdict`);
}

export type TaskArgs = { taskId: string; actor: Actor };

export function validateClaim(s: ClaimLiveState, args: TaskArgs): LiveTask {
  const actor = checkActor(args.actor);
  const task = findTask(s, args.taskId);
  requireRole(actor, rolesFor(task), `a ${task.kind} task`);
  if (task.status === 'claimed' && task.assignee !== actor.name) reject('conflict', `task ${task.id} is held by ${task.assignee}`, { holder: task.assignee, currentState: 'claimed' });
  if (task.status !== 'open' && task.status !== 'claimed') reject('invalid_state', `task ${task.id} is ${task.status}`, { currentState: task.status });
  if (task.kind === 'approval') requireFourEyes(s, task, actor);
  return task;
}

export function validateRelease(s: ClaimLiveState, args: TaskArgs): LiveTask {
  const actor = checkActor(args.actor);
  const task = findTask(s, args.taskId);
  // An admin may free a task someone else holds (someone away with a task claimed).
  if (task.status === 'claimed' && task.assignee !== actor.name && actor.role === 'admin') return task;
  requireHeldBy(task, actor);
  return task;
}

export function validateRenewal(s: ClaimLiveState, args: TaskArgs): LiveTask {
  const actor = checkActor(args.actor);
  const task = findTask(s, args.taskId);
  requireHeldBy(task, actor);
  // A holder who may no longer finish the task (their role changed) must not keep it from others.
  requireRole(actor, rolesFor(task), `a ${task.kind} task`);
  return task;
}

export function validateSubmit(s: ClaimLiveState, args: TaskArgs & { verdict: VerdictInput }): { task: LiveTask; verdict: VerdictInput } {
  const actor = checkActor(args.actor);
  const task = findTask(s, args.taskId);
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

export function validateApproval(s: ClaimLiveState, args: TaskArgs): LiveTask {
  const actor = checkActor(args.actor);
  const task = findTask(s, args.taskId);
  if (task.kind !== 'approval') reject('invalid_state', `task ${task.id} is a review task`, { currentState: s.status });
  requireRole(actor, APPROVAL_ROLES, 'an approval');
  requireFourEyes(s, task, actor);
  requireHeldBy(task, actor);
  if (!s.proposed) reject('invalid_state', 'there is no proposed verdict', { currentState: s.status });
  return task;
}

export function validateSendBack(s: ClaimLiveState, args: TaskArgs & { comment: string }): LiveTask {
  const task = validateApproval(s, args);
  if (typeof args.comment !== 'string' || args.comment.trim() === '') reject('invalid', 'comment: a send-back needs a comment for the reviewer');
  return task;
}

export function validateWithdraw(s: ClaimLiveState, args: { actor: Actor; reason: string }): void {
  const actor = checkActor(args.actor);
  requireRole(actor, EDITOR_ROLES, 'withdrawing a claim');
  if (isTerminal(s)) reject('invalid_state', `claim ${s.claimId} is ${s.status}`, { currentState: s.status });
  if (typeof args.reason !== 'string' || args.reason.trim() === '') reject('invalid', 'reason: withdrawing a claim needs a reason');
}

export function validateReprioritize(s: ClaimLiveState, args: { actor: Actor; priority: Priority }): void {
  const actor = checkActor(args.actor);
  requireRole(actor, EDITOR_ROLES, 'changing priority');
  if (!(PRIORITIES as readonly string[]).includes(args.priority)) reject('invalid', `priority must be one of ${PRIORITIES.join(', ')}`);
  if (isTerminal(s)) reject('invalid_state', `claim ${s.claimId} is ${s.status}`, { currentState: s.status });
}

// ---- transitions (each mutates the state it is given and returns the write that records it) ----

/** The lease write of a holder who is still at it. */
export interface LeaseRenewal {
  taskId: string;
  holder: string;
  leaseExpiresAt: number;
}

export function renewLease(task: LiveTask, policy: ReviewPolicy, now: number): LeaseRenewal {
  const assignee = task.assignee;
  if (task.status !== 'claimed' || assignee === null) reject('invalid_state', `task ${task.id} is ${task.status}`, { currentState: task.status });
  task.leaseExpiresAt = now + leaseMs(policy);
  return { taskId: task.id, holder: assignee, leaseExpiresAt: task.leaseExpiresAt };
}

/** Claims an open task (validated by validateClaim, and not already the actor's: that is a renewal). */
export function claimTask(s: ClaimLiveState, task: LiveTask, actor: Actor, ctx: TransitionContext): ClaimWrite {
  task.status = 'claimed';
  task.assignee = actor.name;
  task.claimedAt = ctx.now;
  task.leaseExpiresAt = ctx.now + leaseMs(ctx.policy);
  if (keepsClocks(ctx)) {
    // The verdict clock starts at the task's first claim; a reclaim after a release or a lease expiry keeps it.
    if (typeof task.verdictClockSince !== 'number') task.verdictClockSince = ctx.now;
    task.dueAt = task.verdictClockSince + verdictSlaMs(ctx.policy, task.priority);
  } else if (task.kind === 'review') {
    task.dueAt = ctx.now + verdictSlaMs(ctx.policy, task.priority);
  }
  s.status = statusForTasks(s.tasks);
  return { step: `claim-${task.id}`, tasks: [taskWrite(task)], event: { type: 'task_claimed', actor: actor.name, payload: { taskId: task.id, kind: task.kind } }, taskId: task.id };
}

export function releaseTask(s: ClaimLiveState, task: LiveTask, actor: Actor, ctx: TransitionContext): ClaimWrite {
  releaseToQueue(s, task, ctx);
  return { step: `release-${task.id}`, tasks: [taskWrite(task)], event: { type: 'task_released', actor: actor.name, payload: { taskId: task.id, kind: task.kind } }, taskId: task.id };
}

export function expireLease(s: ClaimLiveState, task: LiveTask, ctx: TransitionContext): ClaimWrite {
  const holder = task.assignee;
  releaseToQueue(s, task, ctx);
  return { step: `lease-expired-${task.id}`, tasks: [taskWrite(task)], event: { type: 'lease_expired', actor: 'system', payload: { taskId: task.id, kind: task.kind, previousAssignee: holder } }, taskId: task.id };
}

/**
 * A task past its SLA (an open task's claim SLA, a claimed task's verdict SLA) rises one priority step (the claim's
 * priority with it) and its clock restarts under the new priority's limits. A claimed task stays with its holder.
 */
export function escalate(s: ClaimLiveState, task: LiveTask, ctx: TransitionContext): ClaimWrite {
  const from = task.priority;
  const to = nextPriority(from);
  const sla = task.status === 'claimed' ? 'verdict' : 'claim';
  task.escalationLevel += 1;
  task.priority = to;
  task.openSince = ctx.now;
  if (task.status === 'claimed' && typeof task.verdictClockSince === 'number') task.verdictClockSince = ctx.now;
  task.dueAt = dueAtUnder(task, ctx.policy) ?? ctx.now + claimSlaMs(ctx.policy, to);
  if (PRIORITIES.indexOf(to) > PRIORITIES.indexOf(s.priority)) s.priority = to;
  return {
    step: `escalated-${task.id}-${task.escalationLevel}`,
    tasks: [taskWrite(task)],
    event: { type: 'escalated', actor: 'system', payload: { taskId: task.id, kind: task.kind, from, to, level: task.escalationLevel, sla, holder: task.assignee } },
    taskId: task.id,
  };
}

/**
 * The claim follows a newer stored policy: every active task's due time is recomputed under it from the clocks it
 * already has (nothing restarts); leases change length at their next renewal.
 */
export function adoptPolicy(s: ClaimLiveState, from: number | null, to: number, ctx: TransitionContext): ClaimWrite {
  const active = s.tasks.filter(isActive);
  for (const t of active) t.dueAt = dueAtUnder(t, ctx.policy);
  s.policyVersion = to;
  return {
    step: `policy-v${to}`,
    tasks: active.map((t) => taskWrite(t)),
    event: { type: 'policy_changed', actor: 'system', payload: { from, to } },
    taskId: active[0]?.id ?? null,
  };
}

/** Records the run's state from beginRun: the claim's priority and the verdict this run supersedes. */
export function beginRun(s: ClaimLiveState, mode: ClaimWorkflowMode, begun: { priority: Priority; latestVerdict: { id: string; version: number } | null }): void {
  s.priority = begun.priority;
  s.version = (begun.latestVerdict?.version ?? 0) + 1;
  s.supersedes = begun.latestVerdict?.id ?? null;
  if (mode === 'correction') s.status = 'awaiting_review';
}

export function openReview(s: ClaimLiveState, ctx: TransitionContext, newTask: NewTask): ClaimWrite {
  s.stage = 'review';
  const task = openTask(s, ctx, 'review', newTask, { assignee: null, reviewer: null, comment: s.mode === 'correction' ? s.correctionReason : null });
  s.status = statusForTasks(s.tasks);
  return {
    step: 'review-opened',
    tasks: [taskWrite(task, createKey(ctx, task, 1))],
    event: { type: 'review_opened', actor: 'system', payload: { taskId: task.id, round: s.round, priority: s.priority } },
    taskId: task.id,
  };
}

export const needsApproval = (policy: ReviewPolicy, v: VerdictInput): boolean => approversOf(policy) > 0 && approvalRatingsOf(policy).includes(v.rating);

/** The verdict is final with the transition that closed its last task (review when no approval is needed, else the last approval). */
function recordVerdict(s: ClaimLiveState, closed: LiveTask, approver: string | null): ClaimWrite {
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
  return {
    step: `verdict-${closed.id}`,
    tasks: [taskWrite(closed)],
    verdict,
    event: { type: 'verdict_recorded', actor: approver ?? proposed.reviewer, payload: { version: s.version, rating: v.rating, supersedes: s.supersedes, taskId: closed.id } },
    taskId: closed.id,
  };
}

/** Whether submitting this verdict opens an approval task (so the workflow allocates its id first). */
export const submitOpensTask = (policy: ReviewPolicy, verdict: VerdictInput): boolean => needsApproval(policy, verdict);

export function submitVerdict(s: ClaimLiveState, task: LiveTask, actor: Actor, verdict: VerdictInput, ctx: TransitionContext, newTask: NewTask | null): ClaimWrite {
  closeTask(task, 'completed', ctx.now);
  s.proposed = { verdict, reviewer: actor.name, round: s.round, approvals: [] };
  if (!needsApproval(ctx.policy, verdict)) return recordVerdict(s, task, null);
  if (!newTask) throw new Error('submitVerdict: an approval task needs an allocated id');
  s.stage = 'approval';
  const approval = openTask(s, ctx, 'approval', newTask, { assignee: null, reviewer: actor.name, comment: null });
  s.status = statusForTasks(s.tasks);
  return {
    step: `verdict-proposed-${task.id}`,
    tasks: [taskWrite(task), taskWrite(approval, createKey(ctx, approval, 1))],
    event: { type: 'verdict_proposed', actor: actor.name, payload: { taskId: task.id, rating: verdict.rating, summary: verdict.summary, approvalTaskId: approval.id } },
    taskId: approval.id,
  };
}

/** Whether this approval leaves editors still to sign off, so the next approval task opens. */
export const approveOpensTask = (s: ClaimLiveState, policy: ReviewPolicy): boolean => (s.proposed?.approvals.length ?? 0) + 1 < approversOf(policy);

export function approve(s: ClaimLiveState, task: LiveTask, actor: Actor, ctx: TransitionContext, newTask: NewTask | null): ClaimWrite {
  const proposed = s.proposed;
  if (!proposed) reject('invalid_state', 'there is no proposed verdict', { currentState: s.status });
  closeTask(task, 'completed', ctx.now);
  proposed.approvals.push(actor.name);
  if (proposed.approvals.length >= approversOf(ctx.policy)) return recordVerdict(s, task, proposed.approvals.join(', '));
  if (!newTask) throw new Error('approve: the next approval task needs an allocated id');
  // The next approval task carries the reviewer, so four-eyes still covers them; earlier approvers are in proposed.approvals.
  const next = openTask(s, ctx, 'approval', newTask, { assignee: null, reviewer: proposed.reviewer, comment: null });
  s.status = statusForTasks(s.tasks);
  return {
    step: `approve-${task.id}`,
    tasks: [taskWrite(task), taskWrite(next, createKey(ctx, next, proposed.approvals.length + 1))],
    event: { type: 'verdict_approved', actor: actor.name, payload: { taskId: task.id, approvals: proposed.approvals.length, needed: approversOf(ctx.policy), nextTaskId: next.id } },
    taskId: next.id,
  };
}

/** Round n+1 goes straight back to the reviewer who proposed the verdict, with the editor's comment. */
export function sendBack(s: ClaimLiveState, task: LiveTask, actor: Actor, rawComment: string, ctx: TransitionContext, newTask: NewTask): ClaimWrite {
  const proposed = s.proposed;
  if (!proposed) reject('invalid_state', 'there is no proposed verdict', { currentState: s.status });
  const comment = rawComment.trim();
  closeTask(task, 'completed', ctx.now);
  task.comment = comment;
  s.proposed = null;
  s.round += 1;
  s.stage = 'review';
  const review = openTask(s, ctx, 'review', newTask, { assignee: proposed.reviewer, reviewer: proposed.reviewer, comment });
  s.status = statusForTasks(s.tasks);
  return {
    step: `send-back-${task.id}`,
    tasks: [taskWrite(task), taskWrite(review, createKey(ctx, review, 1))],
    event: { type: 'sent_back', actor: actor.name, payload: { taskId: task.id, comment, reviewer: proposed.reviewer, round: s.round, reviewTaskId: review.id } },
    taskId: review.id,
  };
}

/** Cancels every active task and ends the claim's process: written by the withdraw Update and by a cancelled run. */
export function withdraw(s: ClaimLiveState, actor: string, reason: string, now: number): ClaimWrite {
  const cancelled = s.tasks.filter(isActive);
  for (const t of cancelled) closeTask(t, 'cancelled', now);
  s.stage = 'withdrawn';
  const payload = { reason, cancelledTaskIds: cancelled.map((t) => t.id) };
  const tasks = cancelled.map((t) => taskWrite(t));
  // (Checked by mode, not by s.supersedes: a withdrawal buffered with the start runs before beginRun has read the verdict.)
  if (s.mode === 'correction') {
    // Withdrawing a correction abandons the reopening, not the claim: the recorded verdict stands (and stays
    // published), and the claim can be corrected again later.
    s.status = 'verdict_recorded';
    return { step: 'withdraw', tasks, event: { type: 'correction_withdrawn', actor, payload: { ...payload, standingVerdictId: s.supersedes } } };
  }
  s.status = 'withdrawn';
  return { step: 'withdraw', tasks, event: { type: 'withdrawn', actor, payload } };
}

export function reprioritize(s: ClaimLiveState, actor: Actor, priority: Priority, ctx: TransitionContext): ClaimWrite {
  const from = s.priority;
  s.priority = priority;
  const active = s.tasks.filter(isActive);
  for (const t of active) {
    t.priority = priority;
    // A new priority restarts the SLA clock under that priority's limits (rules 2: a held task's verdict clock too).
    if (t.status === 'open') {
      t.openSince = ctx.now;
      t.dueAt = ctx.now + claimSlaMs(ctx.policy, t.priority);
    } else if (keepsClocks(ctx) && typeof t.verdictClockSince === 'number') {
      t.verdictClockSince = ctx.now;
      t.dueAt = dueAtUnder(t, ctx.policy);
    }
  }
  return {
    step: 'reprioritize',
    tasks: active.map((t) => taskWrite(t)),
    event: { type: 'reprioritized', actor: actor.name, payload: { from, to: priority } },
    taskId: active[0]?.id ?? null,
  };
}

// ---- the Updates, as one table: validate → (allocate a task id if one opens) → apply ----

/** What an Update decided: the write to persist (or the lease to renew), and the task id its result names. */
export type Decision = { kind: 'write'; write: ClaimWrite; taskId: string | null } | { kind: 'renew'; renewal: LeaseRenewal; taskId: string };

export interface ClaimAction<A, V> {
  /** Refuses the request with a ClaimRejection before anything is written. */
  validate: (s: ClaimLiveState, args: A) => V;
  /** True when apply opens a task, so the workflow allocates its id first. */
  opensTask: (s: ClaimLiveState, validated: V, policy: ReviewPolicy) => boolean;
  apply: (s: ClaimLiveState, validated: V, args: A, ctx: TransitionContext, newTask: NewTask | null) => Decision;
}

const never = (): boolean => false;
const written = (write: ClaimWrite, taskId: string | null): Decision => ({ kind: 'write', write, taskId });
function allocated(newTask: NewTask | null, what: string): NewTask {
  if (!newTask) throw new Error(`${what} opens a task but no id was allocated`);
  return newTask;
}

export const claimTaskAction: ClaimAction<TaskArgs, LiveTask> = {
  validate: guarded(validateClaim),
  opensTask: never,
  // Already theirs: claiming again says they are still at it, so the lease restarts.
  apply: (s, task, args, ctx) =>
    task.status === 'claimed' ? { kind: 'renew', renewal: renewLease(task, ctx.policy, ctx.now), taskId: task.id } : written(claimTask(s, task, args.actor, ctx), task.id),
};

export const releaseTaskAction: ClaimAction<TaskArgs, LiveTask> = {
  validate: guarded(validateRelease),
  opensTask: never,
  apply: (s, task, args, ctx) => written(releaseTask(s, task, args.actor, ctx), task.id),
};

export const renewLeaseAction: ClaimAction<TaskArgs, LiveTask> = {
  validate: guarded(validateRenewal),
  opensTask: never,
  apply: (_s, task, _args, ctx) => ({ kind: 'renew', renewal: renewLease(task, ctx.policy, ctx.now), taskId: task.id }),
};

export const submitVerdictAction: ClaimAction<TaskArgs & { verdict: VerdictInput }, { task: LiveTask; verdict: VerdictInput }> = {
  validate: guarded(validateSubmit),
  opensTask: (_s, v, policy) => submitOpensTask(policy, v.verdict),
  apply: (s, v, args, ctx, newTask) => written(submitVerdict(s, v.task, args.actor, v.verdict, ctx, newTask), v.task.id),
};

export const approveAction: ClaimAction<TaskArgs, LiveTask> = {
  validate: guarded(validateApproval),
  opensTask: (s, _task, policy) => approveOpensTask(s, policy),
  apply: (s, task, args, ctx, newTask) => written(approve(s, task, args.actor, ctx, newTask), task.id),
};

export const sendBackAction: ClaimAction<TaskArgs & { comment: string }, LiveTask> = {
  validate: guarded(validateSendBack),
  opensTask: () => true,
  apply: (s, task, args, ctx, newTask) => written(sendBack(s, task, args.actor, args.comment, ctx, allocated(newTask, 'a send-back')), task.id),
};

export const withdrawAction: ClaimAction<{ actor: Actor; reason: string }, void> = {
  validate: guarded(validateWithdraw),
  opensTask: never,
  apply: (s, _v, args, ctx) => written(withdraw(s, args.actor.name, args.reason.trim(), ctx.now), null),
};

export const reprioritizeAction: ClaimAction<{ actor: Actor; priority: Priority }, void> = {
  validate: guarded(validateReprioritize),
  opensTask: never,
  apply: (s, _v, args, ctx) => {
    const write = reprioritize(s, args.actor, args.priority, ctx);
    return written(write, write.taskId ?? null);
  },
};
