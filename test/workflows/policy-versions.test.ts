// Issue 11, gap 4 against the real stack: stored policy versions that running claims follow (through the rollout's
// signal, or at their next timer), the verdict SLA on a claimed task, and clocks a release and reclaim keep.
import { describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from '../../src/domain/review.ts';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { saveReviewPolicy } from '../../db/repositories/review-policies.ts';
import type { Db } from '../../db/index.ts';
import { policyRolloutWorkflowId, type PolicyRolloutResult } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { alice, bob, erin, eventsOf, eventually, insertClaim, waitForTask, useWorkflowWorker } from './support.ts';

const admin = { name: 'ada', role: 'admin' as const };
const every = (ms: number) => ({ low: ms, normal: ms, high: ms, urgent: ms });
const policyWith = (changes: Partial<ReviewPolicy>): ReviewPolicy => ({ ...DEFAULT_REVIEW_POLICY, maxEscalations: 1, ...changes });

async function dueAt(db: Db, taskId: string): Promise<number> {
  const row = await db.selectFrom('review_tasks').select(['due_at']).where('id', '=', taskId).executeTakeFirstOrThrow();
  return row.due_at!.getTime();
}

async function createdAt(db: Db, taskId: string): Promise<number> {
  const row = await db.selectFrom('review_tasks').select(['created_at']).where('id', '=', taskId).executeTakeFirstOrThrow();
  return row.created_at.getTime();
}

describe('claim verification workflow: stored policy versions', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  // No fixed policy: the claims follow the versions stored in this file's database, as they do in production.
  useWorkflowWorker('claim-policy', (ready) => {
    ({ env, flows } = ready);
  });

  it('a running claim follows a newly saved version at once, through the rollout, and escalates under it', { timeout: 180_000 }, async () => {
    const v1 = await flows.savePolicy({ policy: policyWith({ claimSlaMs: every(10 * 60_000) }), note: 'ten minutes to claim', actor: admin });
    expect(v1).toMatchObject({ changed: true, stored: { createdBy: 'ada', note: 'ten minutes to claim' } });
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    const opened = await createdAt(env.db, review.id);
    expect(await dueAt(env.db, review.id)).toBe(opened + 10 * 60_000);
    expect((await flows.liveState(claimId)).policyVersion).toBe(v1.stored.version);

    const v2 = await flows.savePolicy({ policy: policyWith({ claimSlaMs: every(1500) }), note: 'urgent desk', actor: admin, expectedVersion: v1.stored.version });
    expect(v2.stored.version).toBe(v1.stored.version + 1);
    expect(v2.rolloutWorkflowId).toBe(policyRolloutWorkflowId(v2.stored.version, v2.stored.createdAt!));
    const rollout = (await env.client.workflow.getHandle(v2.rolloutWorkflowId!).result()) as PolicyRolloutResult;
    expect(rollout.signalled).toBeGreaterThanOrEqual(1);

    const events = await eventually('the new version adopted and the escalation it brings', async () => {
      const all = await eventsOf(env.db, claimId);
      return all.some((e) => e.type === 'escalated') ? all : null;
    }, 90_000);
    const changed = events.find((e) => e.type === 'policy_changed');
    expect(changed?.payload).toEqual({ from: v1.stored.version, to: v2.stored.version });
    expect(events.findIndex((e) => e.type === 'policy_changed')).toBeLessThan(events.findIndex((e) => e.type === 'escalated'));
    expect(events.find((e) => e.type === 'escalated')?.payload).toMatchObject({ sla: 'claim', from: 'normal', to: 'high', level: 1 });
    expect((await flows.liveState(claimId)).policyVersion).toBe(v2.stored.version);
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });

  it('a claim that missed the signal picks the newest version up when its next timer fires', { timeout: 120_000 }, async () => {
    // Long enough that the save below lands before the timer even on a loaded machine (checked, not assumed).
    const slaMs = 12_000;
    await flows.savePolicy({ policy: policyWith({ claimSlaMs: every(slaMs) }), note: null, actor: admin });
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    const opened = await createdAt(env.db, review.id);
    // Stored behind the client's back: no rollout, no signal. The claim's timer reads it before deciding.
    const relaxed = await saveReviewPolicy(env.db, { policy: policyWith({ claimSlaMs: every(3_600_000) }), note: 'relaxed', createdBy: 'ada' });
    expect(relaxed.kind).toBe('saved');
    expect(Date.now(), 'the save must land before the old deadline for this test to mean anything').toBeLessThan(opened + slaMs);
    await eventually('the timer adopting the version', async () => (await eventsOf(env.db, claimId)).some((e) => e.type === 'policy_changed'), 90_000);
    expect(await dueAt(env.db, review.id)).toBe(opened + 3_600_000);
    // Past the old deadline: nothing escalated, because the newer policy said not yet.
    expect(Date.now()).toBeGreaterThan(opened + slaMs);
    expect((await eventsOf(env.db, claimId)).filter((e) => e.type === 'escalated')).toEqual([]);
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });

  it('a claimed task escalates when its verdict SLA passes, and stays with its holder', { timeout: 120_000 }, async () => {
    await flows.savePolicy({ policy: policyWith({ claimSlaMs: every(600_000), verdictSlaMs: every(1500) }), note: null, actor: admin });
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    const escalated = await eventually('the verdict SLA escalation', async () => (await eventsOf(env.db, claimId)).find((e) => e.type === 'escalated'), 90_000);
    expect(escalated.payload).toMatchObject({ sla: 'verdict', holder: 'alice', from: 'normal', to: 'high', level: 1 });
    const task = await env.db.selectFrom('review_tasks').select(['status', 'assignee', 'priority', 'escalation_level']).where('id', '=', review.id).executeTakeFirstOrThrow();
    expect(task).toEqual({ status: 'claimed', assignee: 'alice', priority: 'high', escalation_level: 1 });
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });

  it('a release and a reclaim keep both clocks: the due times do not move', async () => {
    await flows.savePolicy({ policy: policyWith({ claimSlaMs: every(600_000), verdictSlaMs: every(1_200_000) }), note: null, actor: admin });
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    const opened = await createdAt(env.db, review.id);
    expect(await dueAt(env.db, review.id)).toBe(opened + 600_000);
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    const firstVerdictDue = await dueAt(env.db, review.id);
    await flows.act(claimId, { type: 'release', taskId: review.id, actor: alice });
    expect(await dueAt(env.db, review.id)).toBe(opened + 600_000);
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: bob });
    expect(await dueAt(env.db, review.id)).toBe(firstVerdictDue);
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });
});
