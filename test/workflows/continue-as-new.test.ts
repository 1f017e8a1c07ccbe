import { describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_POLICY } from '../../src/domain/review.ts';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { claimWorkflowId, type ClaimWorkflowInput } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { alice, bob, erin, eventTypes, insertClaim, sampleVerdict, tasksOf, waitForTask, useWorkflowWorker } from './support.ts';

describe('claim verification workflow: continue-as-new', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  const taskQueue = useWorkflowWorker('claim-can', (ready) => {
    ({ env, flows } = ready);
  });

  it('loses no update that is in flight or arrives while the run continues as new', async () => {
    const claimId = await insertClaim(env.db);
    const input: ClaimWorkflowInput = { claimId, policy: DEFAULT_REVIEW_POLICY, mode: 'initial', continueAsNewAfterEvents: 40 };
    const first = await env.client.workflow.start('claimVerificationWorkflow', { taskQueue, workflowId: claimWorkflowId(claimId), args: [input] });
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    // Many renewals at once: the history passes the limit while some are running and others are still arriving.
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => flows.act(claimId, { type: 'renewLease', taskId: review.id, actor: alice })));
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const firstRun = await env.client.workflow.getHandle(claimWorkflowId(claimId), first.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    const live = await flows.liveState(claimId);
    expect(live.tasks).toEqual([expect.objectContaining({ id: review.id, status: 'claimed', assignee: 'alice' })]);
    const row = (await tasksOf(env.db, claimId))[0]!;
    expect(row.lease_expires_at?.getTime()).toBe(live.tasks[0]!.leaseExpiresAt);
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });

  it('carries the live state into a new run when the history grows, and finishes there', async () => {
    const claimId = await insertClaim(env.db);
    const input: ClaimWorkflowInput = { claimId, policy: DEFAULT_REVIEW_POLICY, mode: 'initial', continueAsNewAfterEvents: 40 };
    const first = await env.client.workflow.start('claimVerificationWorkflow', { taskQueue, workflowId: claimWorkflowId(claimId), args: [input] });
    const review = await waitForTask(env.db, claimId, 'review');
    for (let i = 0; i < 6; i++) {
      await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
      await flows.act(claimId, { type: 'release', taskId: review.id, actor: alice });
    }
    const firstRun = await env.client.workflow.getHandle(claimWorkflowId(claimId), first.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');

    // The new run knows the task, its state and the round; nothing was re-created.
    const live = await flows.liveState(claimId);
    expect(live).toMatchObject({ stage: 'review', status: 'awaiting_review', round: 1 });
    expect(live.tasks).toEqual([expect.objectContaining({ id: review.id, status: 'open' })]);
    // The new run is still findable in the Temporal UI by claim, status and priority before it writes anything.
    const current = await env.client.workflow.getHandle(claimWorkflowId(claimId)).describe();
    expect(current.runId).not.toBe(first.firstExecutionRunId);
    expect(current.searchAttributes).toMatchObject({ ClaimId: [claimId], ClaimStatus: ['awaiting_review'], Priority: ['normal'] });
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
    const approval = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: erin });
    const done = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
    expect(done.status).toBe('verdict_recorded');
    expect(await first.result()).toMatchObject({ status: 'verdict_recorded', version: 1 });

    expect(await tasksOf(env.db, claimId)).toHaveLength(2);
    const types = await eventTypes(env.db, claimId);
    expect(types.filter((t) => t === 'task_claimed')).toHaveLength(8);
    expect(types.filter((t) => t === 'task_released')).toHaveLength(6);
    expect(types.filter((t) => t === 'review_opened' || t === 'research_started')).toHaveLength(2);
  });

  it('answers a retried Update with its first result after continue-as-new, without applying it again', async () => {
    const claimId = await insertClaim(env.db);
    const input: ClaimWorkflowInput = { claimId, policy: DEFAULT_REVIEW_POLICY, mode: 'initial', continueAsNewAfterEvents: 40 };
    const first = await env.client.workflow.start('claimVerificationWorkflow', { taskQueue, workflowId: claimWorkflowId(claimId), args: [input] });
    const review = await waitForTask(env.db, claimId, 'review');
    const key = `alice:claim-${claimId}`;
    const claimed = await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice }, { idempotencyKey: key });
    expect(claimed).toMatchObject({ status: 'in_review', taskId: review.id });
    // The task moves on (released, claimed by bob) and the history grows until the run continues as new.
    await flows.act(claimId, { type: 'release', taskId: review.id, actor: alice });
    for (let i = 0; i < 6; i++) {
      await flows.act(claimId, { type: 'claim', taskId: review.id, actor: bob });
      await flows.act(claimId, { type: 'release', taskId: review.id, actor: bob });
    }
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: bob });
    const firstRun = await env.client.workflow.getHandle(claimWorkflowId(claimId), first.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    const claimsBefore = (await eventTypes(env.db, claimId)).filter((t) => t === 'task_claimed').length;

    // alice's lost response is retried with the same key: the new run answers as the first did and changes nothing
    // (applying it again would be refused: bob holds the task now).
    const retried = await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice }, { idempotencyKey: key });
    expect(retried).toEqual(claimed);
    expect((await eventTypes(env.db, claimId)).filter((t) => t === 'task_claimed')).toHaveLength(claimsBefore);
    expect((await flows.liveState(claimId)).tasks).toEqual([expect.objectContaining({ id: review.id, status: 'claimed', assignee: 'bob' })]);
    // A new key is a new request, judged on the state of now.
    await expect(flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice }, { idempotencyKey: `${key}-2` })).rejects.toMatchObject({ code: 'conflict' });
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });
});
