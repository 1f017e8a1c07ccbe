import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  log,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type UpdateDefinition } from '@temporalio/common';
import type { EvidenceActivities } from '../activities/evidence.ts';
import type { ReviewActivities } from '../activities/review.ts';
import type { ReviewPolicy } from '../src/domain/review.ts';
import { assigneeKey, claimIdKey, claimStatusKey, claimStuckKey, priorityKey } from '../src/domain/search-attributes.ts';
import { outboundTaskQueue } from '../src/domain/task-queues.ts';
import {
  ClaimRejection,
  approveAction,
  beginRun,
  claimTaskAction,
  currentAssignee,
  escalate,
  escalationDue,
  expireLease,
  initialState,
  isTerminal,
  leaseExpired,
  nextDeadline,
  openReview,
  releaseTaskAction,
  renewLeaseAction,
  reprioritizeAction,
  sendBackAction,
  submitVerdictAction,
  withdraw,
  withdrawAction,
  adoptPolicy,
  type ClaimAction,
  type ClaimWrite,
  type TransitionContext,
} from './claim-state.ts';
import {
  WEBHOOK_WORKFLOW_TYPE,
  approveUpdate,
  claimStateQuery,
  claimTaskUpdate,
  policyChangedSignal,
  releaseTaskUpdate,
  renewLeaseUpdate,
  reprioritizeUpdate,
  sendBackUpdate,
  submitVerdictUpdate,
  webhookWorkflowId,
  withdrawUpdate,
  type AppliedUpdate,
  type ClaimLiveState,
  type ClaimWorkflowInput,
  type ClaimWorkflowResult,
  type TaskActionResult,
  type WebhookWorkflowInput,
} from './messages.ts';
import { requireSignedActor } from './actor-auth.ts';

type EvidenceStepActivities = Pick<EvidenceActivities, 'matchPriorVerdicts' | 'searchLibrary' | 'searchFactChecks'>;

// Read-model writes are quick Postgres transactions: short timeout so a dead worker's attempt is retried soon,
// unlimited retries with backoff for transient failures; typed business failures stop at once.
const writeOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes: ['not_found', 'invalid_state'] },
};
// Writes made once a review is open stay activities, not local activities: with local writes, fifty concurrent
// Updates on one claim made the SDK's core log "Trying to send a new WFT for a run which already has one!" and refuse
// some Updates (test/reliability/races.test.ts).
const writes = proxyActivities<ReviewActivities>(writeOptions);
// The intake's own writes (the run's start, the automated checks, a failed provider's record and the opening of the
// review) and its two lookups in claimdesk's own Postgres (prior verdicts, the source library) are local activities:
// each is one marker in the history instead of an activity's three events plus the workflow task its completion
// wakes, and they are what every claim of a burst waits on before its review opens. Safe to repeat: each write
// carries an idempotency key and evidence rows are keyed by content, and a worker that dies mid-way loses the
// workflow task, so the next worker runs them again. The writes run only from the run itself, holding the write lock
// (exclusive), so no Update handler runs while one is in flight (races.test.ts sends concurrent Updates into the
// intake too). The outside fact-check service stays an activity on its own task queue.
const intakeWrites = proxyLocalActivities<ReviewActivities>(writeOptions);
/**
 * One patch for every path added up to it: a run that begins on this code takes the local intake and every earlier
 * patched path (parallel research, the outbound queue, state after write, withdrawal cancelling research) without a
 * patched() call for each. Every patched() that returns true costs the run a marker and an upsert of
 * TemporalChangeVersion (a visibility write on the server), which four patches made eight events of every claim.
 * Decided once, in the run's first workflow task: a run recorded before it (replayed, or still running) sees false and
 * asks each earlier patch as it always did. A path added later gets its own patch again.
 */
export const LOCAL_INTAKE_PATCH = 'local-intake';
export const PARALLEL_RESEARCH_PATCH = 'parallel-research';
// Recording that a claim is stuck is best effort: a bounded number of attempts, so a failing record never holds up
// the Update that is waiting to report the problem.
const stuckMarks = proxyActivities<ReviewActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '2 seconds', maximumAttempts: 5 },
});
const { allocateTaskId, loadReviewPolicy } = proxyLocalActivities<ReviewActivities>({
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
const factCheckOptions: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  // Short, so a cancellation gets through within a couple of seconds (the SDK sends heartbeats at 80% of this).
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['FactCheckAuthError'] },
};
const factChecks = proxyActivities<EvidenceStepActivities>(factCheckOptions);

// The same lookups for runs that research in parallel: a cancellation (a withdrawal) resolves only once the attempt in
// flight has stopped. Otherwise the withdrawal's own write and the run's end can land in the
// workflow task that requested the cancellations, and the server refuses to close a run while their outcomes are
// still arriving (an UnhandledCommand failure that also fails the withdrawal's Update).
const libraryAwaitingCancel = proxyActivities<EvidenceStepActivities>({
  startToCloseTimeout: '15 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
// The same two lookups as local activities (LOCAL_INTAKE_PATCH): a withdrawal's cancellation reaches them in-process.
const localLibrary = proxyLocalActivities<EvidenceStepActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const factCheckAwaitingCancelOptions: ActivityOptions = { ...factCheckOptions, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };

/** A refusal from the state machine becomes the typed, non-retryable failure the client maps to an HTTP problem. */
function asFailure(err: unknown): unknown {
  if (!(err instanceof ClaimRejection)) return err;
  return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true, details: [{ holder: err.holder, currentState: err.currentState }] });
}

function rethrowAsFailure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asFailure(err);
  }
}

/** The activity's type for a write Postgres refuses for good (activities/review.ts READ_MODEL_REJECTED; types only cross into workflows). */
const READ_MODEL_REJECTED = 'read_model_rejected';
/** beginRun's refusal of a second initial run (activities/review.ts ALREADY_STARTED). */
const ALREADY_STARTED = 'already_started';
/** The failure type of an Update whose write the read model refused: the client maps it to "stuck" (HTTP 503). */
export const CLAIM_STUCK = 'claim_stuck';
/** How many recent Update results a run carries into the next one (continue-as-new) to answer retries. */
const APPLIED_UPDATES_KEPT = 200;

/**
 * The request an Update id stands for: the client retries a request that failed as stuck under "<id>~<suffix>"
 * (Temporal answers a reused id with its first outcome, the failure), and it is still the same request.
 */
const requestOf = (updateId: string): string => updateId.split('~', 1)[0] ?? updateId;

/** The typed failure a write raised: wrapped in an ActivityFailure (activities) or as it was thrown (local activities). */
function writeFailure(err: unknown, type: string): ApplicationFailure | null {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.type === type ? failure : null;
}

function isRejectedWrite(err: unknown): boolean {
  return writeFailure(err, READ_MODEL_REJECTED) !== null;
}

/** The state is plain data (it crosses continue-as-new as JSON): a deep copy to decide a transition on. */
function draftOf(s: ClaimLiveState): ClaimLiveState {
  return JSON.parse(JSON.stringify(s)) as ClaimLiveState;
}

/** A stuck timer retries after 1 s, 2 s, 4 s … up to an hour: never a tight loop, never given up. */
const timerBackoffMs = (failures: number): number => Math.min(1000 * 2 ** Math.min(failures, 12), 3_600_000);

function errorMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * One claim from research to a recorded verdict (or withdrawal). The workflow owns the process; every
 * transition is written to Postgres by an activity, and human steps arrive as validated Updates. The rules
 * live in claim-state.ts; this file only sequences them with Temporal.
 */
export async function claimVerificationWorkflow(input: ClaimWorkflowInput): Promise<ClaimWorkflowResult> {
  const info = workflowInfo();
  // The policy in force: fixed for the run, or (a run started with a stored version) the newest stored version,
  // adopted when its policyChanged signal arrives, at the start, and before every timer decides anything.
  let policy: ReviewPolicy = input.policy;
  const followsStoredPolicy = input.policyVersion !== undefined;
  const slaRules = input.slaRules ?? 1;
  const mode = input.mode ?? 'initial';
  const s: ClaimLiveState = input.carried ?? initialState(input, info.workflowId);
  const current = patched(LOCAL_INTAKE_PATCH);
  const has = (patch: string): boolean => current || patched(patch);
  if (followsStoredPolicy && s.policyVersion === undefined) s.policyVersion = input.policyVersion;
  // The lookup calls an outside service: on the outbound task queue (its own worker slots) in runs that began after
  // that queue existed; histories from before scheduled it on the workflow's own queue.
  const outboundFactChecks = proxyActivities<EvidenceStepActivities>({ ...factCheckOptions, taskQueue: outboundTaskQueue(info.taskQueue) });
  const searchFactChecks = (i: { claimId: string }): Promise<unknown> => (has('outbound-task-queue') ? outboundFactChecks : factChecks).searchFactChecks(i);
  const outboundFactChecksAwaitingCancel = proxyActivities<EvidenceStepActivities>({ ...factCheckAwaitingCancelOptions, taskQueue: outboundTaskQueue(info.taskQueue) });
  const factChecksAwaitingCancel = proxyActivities<EvidenceStepActivities>(factCheckAwaitingCancelOptions);
  const searchFactChecksAwaitingCancel = (i: { claimId: string }): Promise<unknown> =>
    (has('outbound-task-queue') ? outboundFactChecksAwaitingCancel : factChecksAwaitingCancel).searchFactChecks(i);
  // A transition is decided on a draft that becomes the state only once its write has committed: a refused write
  // leaves the claim as it was. Histories recorded before this changed the state itself before the write (the main
  // loop saw it at once): they keep doing so.
  let stateAfterWrite: boolean | undefined;
  const afterWrite = (): boolean => (stateAfterWrite ??= has('state-after-write'));
  const draft = (): ClaimLiveState => (afterWrite() ? draftOf(s) : s);
  const commit = (d: ClaimLiveState): void => {
    if (d !== s) Object.assign(s, d);
  };
  // The draft whose write is in flight. Postgres (and so every queue and SSE listener) may show its result before
  // the activity's completion reaches this workflow: validators judge a new Update against it, so whoever acts on
  // what they just saw is not refused. The handler judges again, in turn, against the committed state.
  let inflight: ClaimLiveState | null = null;
  const seen = (): ClaimLiveState => inflight ?? s;

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

  // Set when beginRun refuses this initial run (the claim was started before): no Update may act on it.
  let refused: { status: ClaimWorkflowResult['status']; verdictId: string | null } | null = null;
  const refuseIfNotBegun = (): void => {
    if (refused) throw ApplicationFailure.create({ type: 'invalid_state', message: `claim ${s.claimId} was started by an earlier run: this run does not act on it`, nonRetryable: true, details: [{ holder: null, currentState: refused.status }] });
  };

  // The evidence step in flight, so a withdrawal can cancel it instead of waiting out a provider's retries.
  let research: CancellationScope | null = null;

  // Scoped to the run chain (continue-as-new keeps firstExecutionRunId): a later correction run of the same
  // version, after a withdrawn one, must not find the withdrawn run's writes and skip its own as already applied.
  const claimKeyPrefix = (): string => `${s.workflowId}:${info.firstExecutionRunId}:v${s.version}`;
  const context = (): TransitionContext => ({ policy, now: Date.now(), keyPrefix: claimKeyPrefix(), ...(slaRules !== 1 ? { slaRules } : {}) });

  let lastAttrs = '';
  function syncSearchAttributes(state: ClaimLiveState = s): void {
    const assignee = currentAssignee(state);
    const next = JSON.stringify([state.status, state.priority, assignee]);
    if (next === lastAttrs) return;
    lastAttrs = next;
    upsertSearchAttributes([
      { key: claimIdKey, value: state.claimId },
      { key: claimStatusKey, value: state.status },
      { key: priorityKey, value: state.priority },
      { key: assigneeKey, value: assignee },
    ]);
  }

  /**
   * The read model refused a write for good: the claim is marked stuck (search attribute, stuck_claims row and event,
   * counted by the claimdesk_claims_stuck metric) instead of retrying forever, and the state stays as it was.
   */
  async function markStuck(step: string, reason: string): Promise<void> {
    const first = !s.stuck;
    s.stuck = { step, reason, since: s.stuck?.since ?? Date.now(), timerFailures: s.stuck?.timerFailures ?? 0 };
    if (first) upsertSearchAttributes([{ key: claimStuckKey, value: step }]);
    try {
      await stuckMarks.markClaimStuck({ claimId: s.claimId, workflowId: s.workflowId, key: `${claimKeyPrefix()}:stuck:r${s.round}:${s.seq}:${step}`, step, reason, at: Date.now() });
    } catch {
      // Even the record of it was refused: the search attribute and the live state still say so.
    }
  }

  /** Runs a read-model write; a refusal for good marks the claim stuck and fails with CLAIM_STUCK. */
  async function guardedWrite<T>(step: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!isRejectedWrite(err)) throw err;
      await markStuck(step, errorMessage(err));
      throw ApplicationFailure.create({
        type: CLAIM_STUCK,
        message: `claim ${s.claimId} is stuck: its ${step} could not be recorded (${errorMessage(err)}); an operator must repair the data or schema`,
        nonRetryable: true,
        details: [{ holder: null, currentState: s.status }],
      });
    }
  }

  /**
   * Writes one transition of `state` (a draft, or the state itself) and reflects it in search attributes. The caller
   * commits the draft only when this returns: a write that fails leaves the claim's state untouched.
   */
  async function persist(state: ClaimLiveState, { step, ...t }: ClaimWrite, via: Pick<ReviewActivities, 'applyTransition'> = writes): Promise<void> {
    state.seq += 1;
    // Upserted with the write, as before (visibility lags the read model as little as possible); a write that fails
    // puts back the attributes of the state that stands.
    syncSearchAttributes(state);
    let result;
    try {
      result = await guardedWrite(step, () =>
        via.applyTransition({
          ...t,
          claimId: state.claimId,
          workflowId: state.workflowId,
          key: `${claimKeyPrefix()}:r${state.round}:${step}:${state.seq}`,
          status: state.status,
          priority: state.priority,
          at: Date.now(),
        }),
      );
    } catch (err) {
      if (state !== s) syncSearchAttributes(s);
      throw err;
    }
    if (t.verdict) state.verdictId = result.verdictId;
    // The write committed (and cleared any stuck_claims row in its transaction).
    if (s.stuck) {
      s.stuck = null;
      state.stuck = null;
      upsertSearchAttributes([{ key: claimStuckKey, value: null }]);
    }
  }

  /** Decides a transition on a copy of the state, writes it, and makes it the state once the write committed. */
  async function transition(decide: (draft: ClaimLiveState) => ClaimWrite, via?: Pick<ReviewActivities, 'applyTransition'>): Promise<void> {
    const next = draft();
    const write = decide(next);
    inflight = next;
    try {
      await persist(next, write, via);
    } finally {
      inflight = null;
    }
    commit(next);
  }

  function result(state: ClaimLiveState, taskId: string | null): TaskActionResult {
    return { claimId: state.claimId, status: state.status, taskId, verdictId: state.verdictId };
  }

  /** The first result of an Update this claim already applied (in this run or one before continue-as-new). */
  function appliedResult(updateId: string | undefined): TaskActionResult | undefined {
    if (updateId === undefined) return undefined;
    const id = requestOf(updateId);
    return s.applied?.find((a) => a.id === id)?.result;
  }

  function remember(updateId: string | undefined, r: TaskActionResult): void {
    if (updateId === undefined) return;
    const id = requestOf(updateId);
    const kept: AppliedUpdate[] = (s.applied ?? []).filter((a) => a.id !== id);
    kept.push({ id, result: r });
    s.applied = kept.slice(-APPLIED_UPDATES_KEPT);
  }

  // ---- handlers: every Update has the same shape, written once ----

  setHandler(claimStateQuery, () => s);

  /**
   * Validates before the Update is accepted (nothing is written for a refused one), then, in turn with every other
   * write: validates again against the state of the moment, allocates a task id when the transition opens a task,
   * applies the transition and persists it; the caller gets the result once the write has committed.
   */
  function handle<A extends object, V>(update: UpdateDefinition<TaskActionResult, [A]>, action: ClaimAction<A, V>, before?: () => void): void {
    setHandler(
      update,
      (args) => {
        const updateId = currentUpdateInfo()?.id;
        return exclusive(async () => {
          // The same Update again (a retry that reached a later run): its first result, nothing applied twice.
          const earlier = appliedResult(updateId);
          if (earlier) return earlier;
          refuseIfNotBegun();
          // Decided on a draft: the claim's state changes only once the write has committed.
          const next = draft();
          const validated = rethrowAsFailure(() => action.validate(next, args));
          before?.();
          const ctx = context();
          const newTask = action.opensTask(next, validated, policy) ? { id: await allocateTaskId(), at: Date.now() } : null;
          const decision = rethrowAsFailure(() => action.apply(next, validated, args, ctx, newTask));
          inflight = next;
          try {
            if (decision.kind === 'renew') {
              const renewal = decision.renewal;
              await guardedWrite(`lease-${renewal.taskId}`, () => writes.renewTaskLease({ claimId: next.claimId, ...renewal, status: next.status }));
            } else {
              await persist(next, decision.write);
            }
          } finally {
            inflight = null;
          }
          commit(next);
          const r = result(s, decision.taskId);
          remember(updateId, r);
          return r;
        });
      },
      {
        validator: (args) => {
          if (appliedResult(currentUpdateInfo()?.id)) return;
          refuseIfNotBegun();
          // Accepted when valid against the committed state or the one whose write is in flight (that write may
          // still fail); the handler decides, in turn, against the state of that moment.
          try {
            action.validate(s, args);
          } catch (err) {
            if (!inflight) throw asFailure(err);
            rethrowAsFailure(() => action.validate(seen(), args));
          }
          // The signature is checked here only: a refused Update never reaches history, and replaying recorded
          // histories (whose actors predate signing) runs handlers but not validators.
          requireSignedActor(update.name, args);
        },
      },
    );
  }

  handle(claimTaskUpdate, claimTaskAction);
  handle(releaseTaskUpdate, releaseTaskAction);
  handle(renewLeaseUpdate, renewLeaseAction);
  handle(submitVerdictUpdate, submitVerdictAction);
  handle(approveUpdate, approveAction);
  handle(sendBackUpdate, sendBackAction);
  handle(withdrawUpdate, withdrawAction, () => {
    if (research && has('withdraw-cancels-research')) research.cancel();
  });
  handle(reprioritizeUpdate, reprioritizeAction);

  // ---- the stored policy ----

  /** Whether beginRun has recorded this run (a run carried over by continue-as-new began in an earlier one). */
  let begunRun = Boolean(input.carried);

  /**
   * Reads the newest stored policy and, when it is newer than the one in force, follows it: every active task's due
   * time is recomputed and written with a policy_changed event. Runs inside exclusive(); a run with a fixed policy
   * never asks.
   */
  async function adoptNewestPolicy(): Promise<void> {
    // Before beginRun nothing may be written (this run may yet be refused), and beginRun reads the newest version.
    if (!followsStoredPolicy || !begunRun || isTerminal(s)) return;
    const newest = await loadReviewPolicy();
    if (newest.version <= (s.policyVersion ?? -1)) return;
    const previous = policy;
    policy = newest.policy;
    try {
      await transition((d) => adoptPolicy(d, s.policyVersion ?? null, newest.version, context()));
    } catch (err) {
      policy = previous;
      throw err;
    }
  }

  // A signal handler must never throw (that would fail the workflow task): a policy that cannot be read or written
  // now is picked up at the next timer or signal instead.
  setHandler(policyChangedSignal, (arg) => {
    const version = (arg as { version?: unknown } | undefined)?.version;
    if (!followsStoredPolicy || typeof version !== 'number' || version <= (s.policyVersion ?? -1)) return;
    void exclusive(async () => {
      try {
        await adoptNewestPolicy();
      } catch (err) {
        if (!(err instanceof ApplicationFailure) && !(err instanceof ActivityFailure)) throw err;
      }
    });
  });

  // ---- policy timers ----

  async function fireTimers(): Promise<void> {
    // A newer stored policy may move (or cancel) what is due: read before deciding.
    await adoptNewestPolicy();
    const now = Date.now();
    for (let i = 0; i < s.tasks.length; i++) {
      // A release happens at the time of its own write (after earlier writes of this round), an escalation at the
      // time the timer fired. Each is decided on a draft and kept only once written.
      if (leaseExpired(s.tasks[i]!, now)) await transition((d) => expireLease(d, d.tasks[i]!, context()));
      if (escalationDue(s.tasks[i]!, policy, now)) await transition((d) => escalate(d, d.tasks[i]!, { ...context(), now }));
    }
  }

  // While a timer's write is refused, the next attempt waits (see timerBackoffMs) instead of firing in a tight loop.
  let timersRetryAt = 0;
  /** The timer path never fails the workflow: a refused (or otherwise failed) write marks the claim stuck and backs off. */
  async function fireTimersSafely(): Promise<void> {
    try {
      await fireTimers();
      timersRetryAt = 0;
      if (s.stuck) s.stuck.timerFailures = 0;
    } catch (err) {
      // (A local activity's failure arrives as the ApplicationFailure it threw, an activity's wrapped in an ActivityFailure.)
      if (!(err instanceof ApplicationFailure) && !(err instanceof ActivityFailure)) throw err;
      // (A refused write has marked the claim already; any other activity failure is recorded here.)
      if (!s.stuck) await markStuck('timers', errorMessage(err));
      const stuck = s.stuck;
      const failures = stuck ? stuck.timerFailures : 0;
      if (stuck) stuck.timerFailures = failures + 1;
      timersRetryAt = Date.now() + timerBackoffMs(failures);
    }
  }

  // ---- the run ----

  /** Everything from the start to the end of the claim's process (or this run's continue-as-new). */
  async function run(): Promise<ClaimWorkflowResult> {
    if (!input.carried) {
      // Runs that began before the intake's writes were local (recorded histories, claims in flight) keep activities.
      const intake = current ? intakeWrites : writes;
      // The start must be recorded for the claim to go anywhere: while the read model refuses it for good, the claim
      // is marked stuck and the start retried with a backoff, so an operator's repair lets it through.
      for (let failures = 0; ; failures++) {
        const begun = await exclusive(async (): Promise<boolean> => {
          // A withdrawal can arrive with the start, before this step runs: then there is nothing to begin.
          if (isTerminal(s)) return true;
          let begun;
          try {
            begun = await intake.beginRun({
              claimId: s.claimId,
              workflowId: s.workflowId,
              key: `${s.workflowId}:${mode}:${info.firstExecutionRunId}:begin`,
              mode,
              correction: input.correction ? { reason: input.correction.reason, actor: input.correction.actor } : null,
              at: Date.now(),
            });
          } catch (err) {
            if (isRejectedWrite(err)) {
              await markStuck('begin', errorMessage(err));
              return false;
            }
            const alreadyStarted = writeFailure(err, ALREADY_STARTED);
            if (!alreadyStarted) throw err;
            const details = (alreadyStarted.details?.[0] ?? {}) as { currentState?: unknown; latestVerdictId?: unknown };
            refused = {
              status: typeof details.currentState === 'string' ? (details.currentState as ClaimWorkflowResult['status']) : s.status,
              verdictId: typeof details.latestVerdictId === 'string' ? details.latestVerdictId : null,
            };
            return true;
          }
          beginRun(s, mode, begun);
          // The newest stored policy at the moment the run began (a version stored since the start was requested).
          const stored = (begun as Partial<typeof begun>).policy;
          if (followsStoredPolicy && stored && stored.version > (s.policyVersion ?? -1)) {
            policy = stored.policy;
            s.policyVersion = stored.version;
          }
          if (s.stuck) {
            s.stuck = null;
            upsertSearchAttributes([{ key: claimStuckKey, value: null }]);
          }
          begunRun = true;
          syncSearchAttributes();
          return true;
        });
        if (begun) break;
        await sleep(timerBackoffMs(failures));
      }
      // Postgres says this claim was started before (by a run Temporal no longer has): this run ends, having written nothing.
      if (refused) return { claimId: s.claimId, status: refused.status, verdictId: refused.verdictId, version: null };
      if (mode === 'initial') {
        const steps: Array<[string, (i: { claimId: string }) => Promise<unknown>]> = [
          ['matchPriorVerdicts', library.matchPriorVerdicts],
          ['searchLibrary', library.searchLibrary],
          ['searchFactChecks', searchFactChecks],
        ];
        /** A failed provider is recorded (only an audit row: when the read model refuses even that, the claim, marked stuck, goes on). */
        const recordProviderFailure = async (name: string, err: unknown): Promise<void> => {
          const message = errorMessage(err);
          s.evidenceProviderFailures.push(`${name}: ${message}`);
          await exclusive(async () => {
            if (isTerminal(s)) return;
            await transition(() => ({ step: `evidence-failed-${name}`, event: { type: 'evidence_provider_failed', actor: 'system', payload: { step: name, message } } }), intake).catch((e: unknown) => {
              if (!(e instanceof ApplicationFailure && e.type === CLAIM_STUCK)) throw e;
            });
          });
        };
        const parallel = has(PARALLEL_RESEARCH_PATCH);
        if (parallel && !isTerminal(seen())) {
          // The three lookups are independent: scheduled together, they take one workflow task instead of three,
          // and as long as the slowest instead of the sum. Failures are handled afterwards in the steps' order, so
          // the events they write come out the same whichever provider answered first.
          // Decided before any lookup is scheduled: in runs that ask each patch, its marker then precedes the three,
          // not between them.
          has('outbound-task-queue');
          const scope = new CancellationScope();
          research = scope;
          let outcomes: Array<{ name: string; err: unknown } | null> = [];
          try {
            const lookups = current ? localLibrary : libraryAwaitingCancel;
            const parallelSteps: Array<[string, (i: { claimId: string }) => Promise<unknown>]> = [
              ['matchPriorVerdicts', lookups.matchPriorVerdicts],
              ['searchLibrary', lookups.searchLibrary],
              ['searchFactChecks', searchFactChecksAwaitingCancel],
            ];
            outcomes = await scope.run(() =>
              Promise.all(parallelSteps.map(([name, step]) => step({ claimId: s.claimId }).then(() => null, (err: unknown) => ({ name, err })))),
            );
          } finally {
            research = null;
          }
          for (const outcome of outcomes) {
            if (!outcome) continue;
            // Withdrawn meanwhile: nothing more is written for this claim.
            if (isTerminal(seen())) break;
            if (isCancellation(outcome.err)) throw outcome.err;
            await recordProviderFailure(outcome.name, outcome.err);
          }
        }
        for (const [name, step] of parallel ? [] : steps) {
          // (seen(): a withdrawal whose write is still in flight has ended the research too.)
          if (isTerminal(seen())) break;
          const scope = new CancellationScope();
          research = scope;
          try {
            await scope.run(() => step({ claimId: s.claimId }));
          } catch (err) {
            // Withdrawn meanwhile (the step cancelled, or failing late): nothing more is written for this claim.
            if (isTerminal(seen())) break;
            // The workflow itself was cancelled: that is not a provider failure.
            if (isCancellation(err)) throw err;
            // Evidence helps the reviewer but is not required: a failed provider is recorded, the claim goes on.
            await recordProviderFailure(name, err);
          } finally {
            research = null;
          }
        }
        if (!isTerminal(s)) {
          await exclusive(async () => {
            if (isTerminal(s)) return;
            try {
              s.checks = await intake.runAutomatedChecks({ claimId: s.claimId, key: `${claimKeyPrefix()}:checks`, at: Date.now() });
            } catch (err) {
              // The checks help the reviewer; a claim whose checks cannot be stored still goes to review (marked stuck).
              if (!isRejectedWrite(err)) throw err;
              await markStuck('checks', errorMessage(err));
            }
          });
        }
      }

      // The review must open for the claim to go anywhere: while the read model refuses it, retry with a backoff
      // (the claim marked stuck), so an operator's repair lets it through without restarting anything.
      for (let failures = 0; ; failures++) {
        const opened = await exclusive(async () => {
          if (isTerminal(s)) return true;
          const id = await allocateTaskId();
          try {
            await transition((d) => openReview(d, context(), { id, at: Date.now() }), intake);
            return true;
          } catch (err) {
            if (err instanceof ApplicationFailure && err.type === CLAIM_STUCK) return false;
            throw err;
          }
        });
        if (opened) break;
        await sleep(timerBackoffMs(failures));
      }
    }

    const historyLimit = input.continueAsNewAfterEvents;
    const shouldContinueAsNew = (): boolean => {
      const now = workflowInfo();
      return now.continueAsNewSuggested || (historyLimit !== undefined && now.historyLength > historyLimit);
    };

    while (!isTerminal(s)) {
      const seen = tick;
      const due = nextDeadline(s, policy);
      const deadline = due === null ? null : Math.max(due, timersRetryAt);
      if (deadline === null) {
        await condition(() => tick !== seen || isTerminal(s) || shouldContinueAsNew());
      } else {
        const woke = await condition(() => tick !== seen || isTerminal(s) || shouldContinueAsNew(), Math.max(deadline - Date.now(), 1));
        if (!woke) await exclusive(fireTimersSafely);
      }
      if (!isTerminal(s) && shouldContinueAsNew()) {
        await condition(() => queued === 0 && allHandlersFinished());
        if (!isTerminal(s)) {
          // The policy in force goes with the state (a stored version adopted in this run).
          await continueAsNew<typeof claimVerificationWorkflow>({ ...input, policy, ...(s.policyVersion !== undefined ? { policyVersion: s.policyVersion } : {}), carried: s });
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
        // Already started (a retried run): its deliveries are under way. Anything else must not fail a claim whose
        // verdict is recorded: the delivery log shows none for it, and subscribers can be sent it again.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
          if (isCancellation(err)) throw err;
          log.error('webhook delivery could not be started; the verdict stands', { claimId: s.claimId, verdictId: s.verdictId, error: errorMessage(err) });
        }
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
        if (!isTerminal(s)) await transition((d) => withdraw(d, 'temporal', 'workflow cancelled in Temporal', Date.now()));
      });
      await condition(() => queued === 0 && allHandlersFinished());
    });
    throw err;
  }
}
