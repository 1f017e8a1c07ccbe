import {
  ActivityCancellationType,
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
import { WorkflowExecutionAlreadyStartedError, type UpdateDefinition } from '@temporalio/common';
import type { EvidenceActivities } from '../activities/evidence.ts';
import type { ReviewActivities } from '../activities/review.ts';
import type { ReviewPolicy } from '../src/domain/review.ts';
import { assigneeKey, claimIdKey, claimStatusKey, priorityKey } from '../src/domain/search-attributes.ts';
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
  type ClaimAction,
  type ClaimWrite,
  type TransitionContext,
} from './claim-state.ts';
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
  type TaskActionResult,
  type WebhookWorkflowInput,
} from './messages.ts';
import { requireSignedActor } from './actor-auth.ts';

type EvidenceStepActivities = Pick<EvidenceActivities, 'matchPriorVerdicts' | 'searchLibrary' | 'searchFactChecks'>;

// Read-model writes are quick Postgres transactions: short timeout so a dead worker's attempt is retried soon,
// unlimited retries with backoff for transient failures; typed business failures stop at once.
const writeRetry = { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes: ['not_found', 'invalid_state'] };
const remoteWrites = proxyActivities<ReviewActivities>({ startToCloseTimeout: '10 seconds', retry: writeRetry });
// The same writes as local activities: each is one marker in the history instead of an activity's three events plus
// the workflow task that its completion wakes. Safe because every one of them may run twice: transitions, run starts
// and automated checks carry an idempotency key, and a lease only ever moves forward for its holder. A worker that
// dies mid-write loses the workflow task, and the next worker runs the write again.
const localWrites = proxyLocalActivities<ReviewActivities>({ startToCloseTimeout: '10 seconds', retry: writeRetry });
export const LOCAL_WRITES_PATCH = 'local-read-model-writes';
export const PARALLEL_RESEARCH_PATCH = 'parallel-research';
/** Runs that began before the local writes (recorded histories, claims in flight) keep their activities. */
function writer(): Pick<ReviewActivities, 'beginRun' | 'applyTransition' | 'runAutomatedChecks' | 'renewTaskLease'> {
  return patched(LOCAL_WRITES_PATCH) ? localWrites : remoteWrites;
}
const writes: Pick<ReviewActivities, 'beginRun' | 'applyTransition' | 'runAutomatedChecks' | 'renewTaskLease'> = {
  beginRun: (i) => writer().beginRun(i),
  applyTransition: (i) => writer().applyTransition(i),
  runAutomatedChecks: (i) => writer().runAutomatedChecks(i),
  renewTaskLease: (i) => writer().renewTaskLease(i),
};
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

// The same lookups for runs that research in parallel: a cancellation (a withdrawal) resolves only once the attempt in
// flight has stopped. With the writes local, the withdrawal's own write and the run's end can otherwise land in the
// workflow task that requested the cancellations, and the server refuses to close a run while their outcomes are
// still arriving (an UnhandledCommand failure that also fails the withdrawal's Update).
const libraryAwaitingCancel = proxyActivities<EvidenceStepActivities>({
  startToCloseTimeout: '15 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const factChecksAwaitingCancel = proxyActivities<EvidenceStepActivities>({
  startToCloseTimeout: '15 seconds',
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['FactCheckAuthError'] },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

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
  const policy: ReviewPolicy = input.policy;
  const mode = input.mode ?? 'initial';
  const s: ClaimLiveState = input.carried ?? initialState(input, info.workflowId);

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
  const context = (): TransitionContext => ({ policy, now: Date.now(), keyPrefix: claimKeyPrefix() });

  let lastAttrs = '';
  function syncSearchAttributes(): void {
    const assignee = currentAssignee(s);
    const next = JSON.stringify([s.status, s.priority, assignee]);
    if (next === lastAttrs) return;
    lastAttrs = next;
    upsertSearchAttributes([
      { key: claimIdKey, value: s.claimId },
      { key: claimStatusKey, value: s.status },
      { key: priorityKey, value: s.priority },
      { key: assigneeKey, value: assignee },
    ]);
  }

  /** Writes one transition (status, tasks, optional verdict, one event) and reflects it in search attributes. */
  async function persist({ step, ...t }: ClaimWrite): Promise<void> {
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
    if (t.verdict) s.verdictId = result.verdictId;
  }

  function result(taskId: string | null): TaskActionResult {
    return { claimId: s.claimId, status: s.status, taskId, verdictId: s.verdictId };
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
      (args) =>
        exclusive(async () => {
          const validated = rethrowAsFailure(() => action.validate(s, args));
          before?.();
          const ctx = context();
          const newTask = action.opensTask(s, validated, policy) ? { id: await allocateTaskId(), at: Date.now() } : null;
          const decision = rethrowAsFailure(() => action.apply(s, validated, args, ctx, newTask));
          if (decision.kind === 'renew') {
            await writes.renewTaskLease({ claimId: s.claimId, ...decision.renewal, status: s.status });
          } else {
            await persist(decision.write);
          }
          return result(decision.taskId);
        }),
      {
        // The signature is checked here only: a refused Update never reaches history, and replaying recorded histories
        // (whose actors predate signing) runs handlers but not validators.
        validator: (args) => {
          rethrowAsFailure(() => action.validate(s, args));
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
    if (research && patched('withdraw-cancels-research')) research.cancel();
  });
  handle(reprioritizeUpdate, reprioritizeAction);

  // ---- policy timers ----

  async function fireTimers(): Promise<void> {
    const now = Date.now();
    for (const t of s.tasks) {
      // A release happens at the time of its own write (after earlier writes of this round), an escalation at the
      // time the timer fired.
      if (leaseExpired(t, now)) await persist(expireLease(s, t, context()));
      if (escalationDue(t, policy, now)) await persist(escalate(s, t, { ...context(), now }));
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
        beginRun(s, mode, begun);
        syncSearchAttributes();
      });
      if (mode === 'initial') {
        const steps: Array<[string, (i: { claimId: string }) => Promise<unknown>]> = [
          ['matchPriorVerdicts', library.matchPriorVerdicts],
          ['searchLibrary', library.searchLibrary],
          ['searchFactChecks', factChecks.searchFactChecks],
        ];
        if (patched(PARALLEL_RESEARCH_PATCH) && !isTerminal(s)) {
          // The three lookups are independent: scheduled together, they take one workflow task instead of three,
          // and as long as the slowest instead of the sum. Failures are handled afterwards in the steps' order, so
          // the events they write come out the same whichever provider answered first.
          const scope = new CancellationScope();
          research = scope;
          let outcomes: Array<{ name: string; err: unknown } | null> = [];
          try {
            const parallelSteps: Array<[string, (i: { claimId: string }) => Promise<unknown>]> = [
              ['matchPriorVerdicts', libraryAwaitingCancel.matchPriorVerdicts],
              ['searchLibrary', libraryAwaitingCancel.searchLibrary],
              ['searchFactChecks', factChecksAwaitingCancel.searchFactChecks],
            ];
            outcomes = await scope.run(() =>
              Promise.all(parallelSteps.map(([name, step]) => step({ claimId: s.claimId }).then(() => null, (err: unknown) => ({ name, err })))),
            );
          } finally {
            research = null;
          }
          for (const outcome of outcomes) {
            if (!outcome) continue;
            const { name, err } = outcome;
            if (isTerminal(s)) break;
            if (isCancellation(err)) throw err;
            const message = errorMessage(err);
            s.evidenceProviderFailures.push(`${name}: ${message}`);
            await exclusive(async () => {
              if (!isTerminal(s)) await persist({ step: `evidence-failed-${name}`, event: { type: 'evidence_provider_failed', actor: 'system', payload: { step: name, message } } });
            });
          }
        }
        for (const [name, step] of patched(PARALLEL_RESEARCH_PATCH) ? [] : steps) {
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
              if (!isTerminal(s)) await persist({ step: `evidence-failed-${name}`, event: { type: 'evidence_provider_failed', actor: 'system', payload: { step: name, message } } });
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
        const id = await allocateTaskId();
        await persist(openReview(s, context(), { id, at: Date.now() }));
      });
    }

    const historyLimit = input.continueAsNewAfterEvents;
    const shouldContinueAsNew = (): boolean => {
      const now = workflowInfo();
      return now.continueAsNewSuggested || (historyLimit !== undefined && now.historyLength > historyLimit);
    };

    while (!isTerminal(s)) {
      const seen = tick;
      const deadline = nextDeadline(s, policy);
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
        if (!isTerminal(s)) await persist(withdraw(s, 'temporal', 'workflow cancelled in Temporal', Date.now()));
      });
      await condition(() => queued === 0 && allHandlersFinished());
    });
    throw err;
  }
}
