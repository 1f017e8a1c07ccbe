// Issue 11, gap 4: the verdict SLA of a claimed task, clocks that a release and reclaim do not reset, a newer
// policy adopted from the clocks a claim already has, and stored policies that are never missing a field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adoptPolicy,
  claimTaskAction,
  escalationDue,
  needsApproval,
  nextDeadline,
  releaseTaskAction,
  reprioritizeAction,
  sendBackAction,
  submitVerdictAction,
  approveAction,
  verdictDeadline,
} from '../../workflows/claim-state.ts';
import { DEFAULT_REVIEW_POLICY, MAX_POLICY_DURATION_MS, resolvePolicy, reviewPolicySchema, type ReviewPolicy } from '../../src/domain/review.ts';
import { PRIORITIES } from '../../src/domain/types.ts';
import { Desk, HOUR, POLICY, alice, bob, erin, verdict } from './claim-state-harness.ts';

const MIN = 60_000;
/** Short, distinct numbers so a deadline computed from the wrong clock or the wrong SLA shows. */
const QUICK: ReviewPolicy = {
  ...POLICY,
  claimSlaMs: { urgent: 7 * MIN, high: 11 * MIN, normal: 13 * MIN, low: 17 * MIN },
  verdictSlaMs: { urgent: 19 * MIN, high: 23 * MIN, normal: 29 * MIN, low: 31 * MIN },
  leaseMs: 5 * HOUR,
  maxEscalations: 2,
};

describe('verdict SLA on a claimed task', () => {
  it('a claimed review escalates when its verdict SLA passes and stays with its holder', () => {
    const desk = new Desk(QUICK);
    const task = desk.task('review');
    desk.now += 2 * MIN;
    const claimedAt = desk.now;
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    expect(task.dueAt).toBe(claimedAt + QUICK.verdictSlaMs.normal);
    expect(nextDeadline(desk.s, QUICK)).toBe(claimedAt + QUICK.verdictSlaMs.normal);
    desk.advance(QUICK.verdictSlaMs.normal - 1);
    expect(task.escalationLevel).toBe(0);
    desk.advance(1);
    expect(task).toMatchObject({ status: 'claimed', assignee: 'alice', priority: 'high', escalationLevel: 1, verdictClockSince: desk.now, dueAt: desk.now + QUICK.verdictSlaMs.high });
    expect(desk.s.priority).toBe('high');
    expect(desk.writes.at(-1)?.event).toMatchObject({ type: 'escalated', payload: { sla: 'verdict', holder: 'alice', from: 'normal', to: 'high', level: 1 } });
    // Once more under the new priority's SLA, then no further than the policy's maximum.
    desk.advance(QUICK.verdictSlaMs.high);
    expect(task).toMatchObject({ priority: 'urgent', escalationLevel: 2 });
    expect(verdictDeadline(task, QUICK)).toBeNull();
    expect(nextDeadline(desk.s, QUICK)).toBe(task.leaseExpiresAt);
  });

  it('a claimed approval has a verdict deadline too', () => {
    const desk = new Desk(QUICK);
    const review = desk.task('review');
    desk.ok(claimTaskAction, { taskId: review.id, actor: alice });
    desk.ok(submitVerdictAction, { taskId: review.id, actor: alice, verdict: verdict() });
    const approval = desk.task('approval');
    desk.now += MIN;
    desk.ok(claimTaskAction, { taskId: approval.id, actor: erin });
    expect(verdictDeadline(approval, QUICK)).toBe(desk.now + QUICK.verdictSlaMs.normal);
    expect(escalationDue(approval, QUICK, desk.now + QUICK.verdictSlaMs.normal)).toBe(true);
  });

  it('a send-back round, opened already claimed by the reviewer, starts its verdict clock at once', () => {
    const desk = new Desk(QUICK);
    const review = desk.task('review');
    desk.ok(claimTaskAction, { taskId: review.id, actor: alice });
    desk.ok(submitVerdictAction, { taskId: review.id, actor: alice, verdict: verdict() });
    const approval = desk.task('approval');
    desk.ok(claimTaskAction, { taskId: approval.id, actor: erin });
    desk.now += MIN;
    desk.ok(sendBackAction, { taskId: approval.id, actor: erin, comment: 'Check the second figure.' });
    const round2 = desk.task('review', 'claimed');
    expect(round2.verdictClockSince).toBe(desk.now);
    expect(verdictDeadline(round2, QUICK)).toBe(desk.now + QUICK.verdictSlaMs.normal);
  });

  it('SLA rules 1 (runs recorded before rules 2) never escalate a claimed task', () => {
    const desk = new Desk(QUICK, 'initial', 1);
    const task = desk.task('review');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    desk.advance(QUICK.verdictSlaMs.normal * 3);
    expect(task).toMatchObject({ status: 'claimed', escalationLevel: 0, priority: 'normal' });
    expect(verdictDeadline(task, QUICK)).toBeNull();
  });
});

describe('release and reclaim keep the escalation clocks', () => {
  it('the claim SLA runs from when the task opened, through a claim and a release', () => {
    const desk = new Desk(QUICK);
    const task = desk.task('review');
    const opened = task.openSince;
    desk.now += 5 * MIN;
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    desk.now += 3 * MIN;
    desk.ok(releaseTaskAction, { taskId: task.id, actor: alice });
    expect(task).toMatchObject({ status: 'open', openSince: opened, dueAt: opened + QUICK.claimSlaMs.normal });
    // Due 13 minutes after it opened, not 13 minutes after the release.
    desk.advance(QUICK.claimSlaMs.normal - 8 * MIN);
    expect(task).toMatchObject({ escalationLevel: 1, priority: 'high' });
  });

  it('the verdict clock starts at the first claim and a reclaim (by anyone) keeps it', () => {
    const desk = new Desk(QUICK);
    const task = desk.task('review');
    desk.now += MIN;
    const firstClaim = desk.now;
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    desk.now += 4 * MIN;
    desk.ok(releaseTaskAction, { taskId: task.id, actor: alice });
    desk.now += MIN;
    desk.ok(claimTaskAction, { taskId: task.id, actor: bob });
    expect(task).toMatchObject({ assignee: 'bob', verdictClockSince: firstClaim, dueAt: firstClaim + QUICK.verdictSlaMs.normal });
    desk.advance(firstClaim + QUICK.verdictSlaMs.normal - desk.now);
    expect(task).toMatchObject({ assignee: 'bob', escalationLevel: 1 });
  });

  it('claiming and releasing in a loop never holds off an escalation', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 * MIN }), { minLength: 1, maxLength: 30 }), (gaps) => {
        const desk = new Desk(QUICK);
        const task = desk.task('review');
        const deadline = task.openSince + QUICK.claimSlaMs.normal;
        for (const gap of gaps) {
          if (desk.now + gap >= deadline) break;
          desk.now += gap;
          desk.ok(task.status === 'open' ? claimTaskAction : releaseTaskAction, { taskId: task.id, actor: alice });
        }
        if (task.status === 'claimed') desk.ok(releaseTaskAction, { taskId: task.id, actor: alice });
        desk.advance(deadline - desk.now);
        return task.escalationLevel === 1;
      }),
    );
  });

  it('reprioritizing restarts a held task\'s verdict clock under the new priority', () => {
    const desk = new Desk(QUICK);
    const task = desk.task('review');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    desk.now += 2 * MIN;
    desk.ok(reprioritizeAction, { actor: erin, priority: 'urgent' });
    expect(task).toMatchObject({ priority: 'urgent', verdictClockSince: desk.now, dueAt: desk.now + QUICK.verdictSlaMs.urgent });
  });
});

describe('adopting a newer policy', () => {
  it('recomputes every active due time from the clocks the tasks already have, and records the change', () => {
    const desk = new Desk(QUICK);
    const review = desk.task('review');
    const opened = review.openSince;
    desk.now += 4 * MIN;
    const stricter: ReviewPolicy = { ...QUICK, claimSlaMs: { ...QUICK.claimSlaMs, normal: 6 * MIN } };
    desk.policy = stricter;
    const write = adoptPolicy(desk.s, 1, 2, desk.ctx());
    expect(review.dueAt).toBe(opened + 6 * MIN);
    expect(desk.s.policyVersion).toBe(2);
    expect(write).toMatchObject({ step: 'policy-v2', event: { type: 'policy_changed', payload: { from: 1, to: 2 } }, tasks: [{ id: review.id, dueAt: opened + 6 * MIN }] });
    // The escalation comes 6 minutes after opening under the new policy, not 13.
    desk.advance(opened + 6 * MIN - desk.now);
    expect(review.escalationLevel).toBe(1);
  });

  it('a claimed task\'s verdict deadline moves with the policy', () => {
    const desk = new Desk(QUICK);
    const review = desk.task('review');
    desk.ok(claimTaskAction, { taskId: review.id, actor: alice });
    const claimed = desk.now;
    desk.policy = { ...QUICK, verdictSlaMs: { ...QUICK.verdictSlaMs, normal: 90 * MIN } };
    adoptPolicy(desk.s, 1, 2, desk.ctx());
    expect(review.dueAt).toBe(claimed + 90 * MIN);
  });
});

describe('policies read back from storage', () => {
  it('a valid policy comes back unchanged', () => {
    expect(resolvePolicy(QUICK)).toEqual(QUICK);
    expect(resolvePolicy(DEFAULT_REVIEW_POLICY)).toEqual(DEFAULT_REVIEW_POLICY);
  });

  it('a missing or broken field takes the default, field by field', () => {
    const resolved = resolvePolicy({ leaseMs: 'soon', claimSlaMs: { urgent: 5 * MIN, normal: -1 }, approvers: 2 });
    expect(resolved).toEqual({
      ...DEFAULT_REVIEW_POLICY,
      claimSlaMs: { ...DEFAULT_REVIEW_POLICY.claimSlaMs, urgent: 5 * MIN },
      approvers: 2,
    });
    expect(resolvePolicy(null)).toEqual(DEFAULT_REVIEW_POLICY);
  });

  it('whatever is stored, every duration of the result is a finite positive number and the result validates', () => {
    fc.assert(
      fc.property(fc.anything(), fc.dictionary(fc.constantFrom(...Object.keys(DEFAULT_REVIEW_POLICY)), fc.anything()), (junk, partial) => {
        for (const input of [junk, partial]) {
          const p = resolvePolicy(input);
          expect(reviewPolicySchema.safeParse(p).success).toBe(true);
          for (const prio of PRIORITIES) {
            expect(Number.isFinite(p.claimSlaMs[prio]) && p.claimSlaMs[prio] > 0).toBe(true);
            expect(Number.isFinite(p.verdictSlaMs[prio]) && p.verdictSlaMs[prio] > 0).toBe(true);
          }
        }
      }),
    );
  });

  it('a policy carried without its approval fields still decides approvals by the default', () => {
    const carried = { ...QUICK, approvers: undefined, approvalRequiredFor: undefined } as unknown as ReviewPolicy;
    expect(needsApproval(carried, verdict('false'))).toBe(true);
    const desk = new Desk(carried);
    const review = desk.task('review');
    desk.ok(claimTaskAction, { taskId: review.id, actor: alice });
    desk.ok(submitVerdictAction, { taskId: review.id, actor: alice, verdict: verdict() });
    const approval = desk.task('approval');
    desk.ok(claimTaskAction, { taskId: approval.id, actor: erin });
    desk.ok(approveAction, { taskId: approval.id, actor: erin });
    expect(desk.s).toMatchObject({ stage: 'done', status: 'verdict_recorded' });
  });

  it('durations past a year are refused when an admin saves them', () => {
    const r = reviewPolicySchema.safeParse({ ...QUICK, leaseMs: MAX_POLICY_DURATION_MS + 1 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['leaseMs']);
  });
});
