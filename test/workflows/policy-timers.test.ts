import { describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from '../../src/domain/review.ts';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { alice, bob, claimStatus, erin, eventTypes, eventsOf, eventually, insertClaim, sampleVerdict, tasksOf, waitForTask, useWorkflowWorker } from './support.ts';

// Seconds instead of hours: the real dev server runs real timers, so the policy is what makes this fast.
const quick: ReviewPolicy = {
  ...DEFAULT_REVIEW_POLICY,
  claimSlaMs: { low: 1500, normal: 1500, high: 1500, urgent: 1500 },
  verdictSlaMs: { low: 60_000, normal: 60_000, high: 60_000, urgent: 60_000 },
  leaseMs: 2500,
  maxEscalations: 2,
};

describe('claim verification workflow: policy timers', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  const taskQueue = useWorkflowWorker('claim-timers', (ready) => {
    ({ env, flows } = ready);
  }, { policy: quick });

  it('escalates an unclaimed task past its SLA, one priority step at a time, up to maxEscalations', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    await waitForTask(env.db, claimId, 'review');
    const task = await eventually('second escalation', async () => {
      const t = (await tasksOf(env.db, claimId))[0];
      return t && t.escalation_level === 2 ? t : null;
    });
    expect(task).toMatchObject({ status: 'open', priority: 'urgent' });
    const claim = await env.db.selectFrom('claims').select(['priority', 'status']).where('id', '=', claimId).executeTakeFirstOrThrow();
    expect(claim).toEqual({ priority: 'urgent', status: 'awaiting_review' });
    const escalations = (await eventsOf(env.db, claimId)).filter((e) => e.type === 'escalated');
    expect(escalations.map((e) => [e.actor, e.payload.from, e.payload.to, e.payload.level])).toEqual([
      ['system', 'normal', 'high', 1],
      ['system', 'high', 'urgent', 2],
    ]);
    const description = await env.client.workflow.getHandle(claimWorkflowId(claimId)).describe();
    expect(description.searchAttributes).toMatchObject({ Priority: ['urgent'], ClaimStatus: ['awaiting_review'] });

    // Escalation stops at maxEscalations: once claimed and finished, there were exactly two.
    await flows.act(claimId, { type: 'claim', taskId: task.id, actor: alice });
    await flows.act(claimId, { type: 'submitVerdict', taskId: task.id, actor: alice, verdict: sampleVerdict });
    const approval = await waitForTask(env.db, claimId, 'approval');
    expect(approval.priority).toBe('urgent');
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
    expect((await eventTypes(env.db, claimId)).filter((t) => t === 'escalated')).toHaveLength(2);
  });

  it('releases a claimed task whose lease expires back to the queue', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    const handle = env.client.workflow.getHandle(claimWorkflowId(claimId));
    expect((await handle.describe()).searchAttributes).toMatchObject({ Assignee: ['alice'], ClaimStatus: ['in_review'] });

    await eventually('lease expiry', async () => (await eventTypes(env.db, claimId)).includes('lease_expired'));
    const released = (await tasksOf(env.db, claimId))[0]!;
    expect(released).toMatchObject({ status: 'open', assignee: null, lease_expires_at: null });
    expect(await claimStatus(env.db, claimId)).toBe('awaiting_review');
    const expiry = (await eventsOf(env.db, claimId)).find((e) => e.type === 'lease_expired')!;
    expect(expiry.payload).toMatchObject({ taskId: review.id, previousAssignee: 'alice' });
    const live = await flows.liveState(claimId);
    expect(live.tasks[0]).toMatchObject({ status: 'open', assignee: null });

    // Back in the queue, anyone may take it; alice's late verdict is refused.
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: bob });
    const late = await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict }).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'forbidden', holder: 'bob' });
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });

  it('keeps a renewed lease past its original expiry; refuses renewals by anyone but the holder; releases once idle', async () => {
    // A longer lease than `quick`, so each renewal (every 800 ms) has seconds to spare on a loaded machine.
    const renewing = createClaimWorkflows(env.client, { taskQueue, policy: { ...quick, claimSlaMs: { low: 60_000, normal: 60_000, high: 60_000, urgent: 60_000 }, leaseMs: 4000 } });
    const claimId = await insertClaim(env.db);
    await renewing.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');

    const notClaimed = await renewing.act(claimId, { type: 'renewLease', taskId: review.id, actor: alice }).catch((e: unknown) => e);
    expect(notClaimed).toMatchObject({ code: 'invalid_state', currentState: 'open' });
    await renewing.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    const original = (await tasksOf(env.db, claimId))[0]!.lease_expires_at!.getTime();
    const eventsAfterClaim = await eventTypes(env.db, claimId);

    const notHolder = await renewing.act(claimId, { type: 'renewLease', taskId: review.id, actor: bob }).catch((e: unknown) => e);
    expect(notHolder).toMatchObject({ code: 'forbidden', holder: 'alice' });
    const editor = await renewing.act(claimId, { type: 'renewLease', taskId: review.id, actor: erin }).catch((e: unknown) => e);
    expect(editor).toMatchObject({ code: 'forbidden', holder: 'alice' });
    // The holder under a role that can no longer review (e.g. changed to editor) cannot keep the task either.
    const demoted = await renewing.act(claimId, { type: 'renewLease', taskId: review.id, actor: { name: 'alice', role: 'editor' } }).catch((e: unknown) => e);
    expect(demoted).toMatchObject({ code: 'forbidden' });

    // Alice keeps working: renew until well past the lease she got when she claimed.
    let renewals = 0;
    while (Date.now() < original + 1500) {
      const renewed = await renewing.act(claimId, { type: 'renewLease', taskId: review.id, actor: alice });
      expect(renewed).toMatchObject({ claimId, status: 'in_review', taskId: review.id });
      renewals += 1;
      await new Promise((r) => setTimeout(r, 800));
    }
    expect(renewals).toBeGreaterThan(2);
    const kept = (await tasksOf(env.db, claimId))[0]!;
    expect(kept).toMatchObject({ status: 'claimed', assignee: 'alice' });
    expect(kept.lease_expires_at!.getTime()).toBeGreaterThan(original);
    const live = await renewing.liveState(claimId);
    expect(live.tasks[0]!.leaseExpiresAt).toBe(kept.lease_expires_at!.getTime());
    // Renewals update the task row, not the audit trail.
    expect(await eventTypes(env.db, claimId)).toEqual(eventsAfterClaim);

    // Claiming a task she already holds counts as activity too.
    await renewing.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    expect((await tasksOf(env.db, claimId))[0]!.lease_expires_at!.getTime()).toBeGreaterThanOrEqual(kept.lease_expires_at!.getTime());

    // Then she goes idle: the lease runs out and the task goes back to the queue.
    await eventually('lease expiry after the last renewal', async () => (await eventTypes(env.db, claimId)).includes('lease_expired'));
    expect((await tasksOf(env.db, claimId))[0]).toMatchObject({ status: 'open', assignee: null, lease_expires_at: null });
    const late = await renewing.act(claimId, { type: 'renewLease', taskId: review.id, actor: alice }).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'invalid_state' });
    await renewing.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });

  it('reprioritizes an open claim (editor only), restarting its SLA under the new priority', async () => {
    const claimId = await insertClaim(env.db);
    const slow = createClaimWorkflows(env.client, { taskQueue });
    await slow.startClaim(claimId);
    await waitForTask(env.db, claimId, 'review');
    const refused = await slow.act(claimId, { type: 'reprioritize', actor: alice, priority: 'urgent' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'forbidden' });
    const result = await slow.act(claimId, { type: 'reprioritize', actor: erin, priority: 'high' });
    expect(result.status).toBe('awaiting_review');
    expect((await tasksOf(env.db, claimId))[0]!.priority).toBe('high');
    expect((await env.db.selectFrom('claims').select('priority').where('id', '=', claimId).executeTakeFirstOrThrow()).priority).toBe('high');
    expect((await eventsOf(env.db, claimId)).find((e) => e.type === 'reprioritized')).toMatchObject({ actor: 'erin', payload: { from: 'normal', to: 'high' } });
    await slow.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });
});
