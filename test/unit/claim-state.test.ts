import { describe, expect, it } from 'vitest';
import {
  ClaimRejection,
  approveAction,
  claimTaskAction,
  nextDeadline,
  releaseTaskAction,
  renewLeaseAction,
  reprioritizeAction,
  sendBackAction,
  statusForTasks,
  submitVerdictAction,
  withdrawAction,
  type Decision,
} from '../../workflows/claim-state.ts';
import type { ReviewPolicy } from '../../src/domain/review.ts';
import { Desk, HOUR, POLICY, ada, alice, bob, erin, fred, verdict } from './claim-state-harness.ts';

function refused(d: Decision | ClaimRejection, code: ClaimRejection['code']): ClaimRejection {
  expect(d, 'expected a refusal').toBeInstanceOf(ClaimRejection);
  const r = d as ClaimRejection;
  expect(r.code, r.message).toBe(code);
  return r;
}

/** A desk whose review alice has claimed and proposed a verdict on, now waiting for an editor. */
function awaitingApproval(policy: ReviewPolicy = POLICY): Desk {
  const desk = new Desk(policy);
  const review = desk.task('review');
  desk.ok(claimTaskAction, { taskId: review.id, actor: alice });
  desk.ok(submitVerdictAction, { taskId: review.id, actor: alice, verdict: verdict() });
  return desk;
}

describe('claim state: roles', () => {
  it('an editor cannot claim a review task, a fact-checker cannot claim an approval task', () => {
    const desk = new Desk();
    refused(desk.run(claimTaskAction, { taskId: desk.task('review').id, actor: erin }), 'forbidden');
    const approval = awaitingApproval();
    refused(approval.run(claimTaskAction, { taskId: approval.task('approval').id, actor: bob }), 'forbidden');
  });

  it('only editors (and admins) withdraw or reprioritize a claim', () => {
    const desk = new Desk();
    refused(desk.run(withdrawAction, { actor: alice, reason: 'duplicate' }), 'forbidden');
    refused(desk.run(reprioritizeAction, { actor: alice, priority: 'urgent' }), 'forbidden');
    desk.ok(reprioritizeAction, { actor: ada, priority: 'urgent' });
    expect(desk.s.priority).toBe('urgent');
  });

  it('a holder whose role no longer fits cannot renew the lease', () => {
    const desk = new Desk();
    const task = desk.task('review');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    refused(desk.run(renewLeaseAction, { taskId: task.id, actor: { name: 'alice', role: 'editor' } }), 'forbidden');
  });
});

describe('claim state: assignee and state', () => {
  it('a task held by one reviewer cannot be claimed by another (conflict, naming the holder)', () => {
    const desk = new Desk();
    const task = desk.task('review');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    const r = refused(desk.run(claimTaskAction, { taskId: task.id, actor: bob }), 'conflict');
    expect(r.holder).toBe('alice');
  });

  it('only the holder submits a verdict; an open task must be claimed first', () => {
    const desk = new Desk();
    const task = desk.task('review');
    const r = refused(desk.run(submitVerdictAction, { taskId: task.id, actor: alice, verdict: verdict() }), 'invalid_state');
    expect(r.currentState).toBe('open');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    expect(refused(desk.run(submitVerdictAction, { taskId: task.id, actor: bob, verdict: verdict() }), 'forbidden').holder).toBe('alice');
  });

  it('a finished task can be neither claimed nor approved again', () => {
    const desk = awaitingApproval();
    const review = desk.task('review', 'completed');
    refused(desk.run(claimTaskAction, { taskId: review.id, actor: bob }), 'invalid_state');
    const approval = desk.task('approval');
    desk.ok(claimTaskAction, { taskId: approval.id, actor: erin });
    desk.ok(approveAction, { taskId: approval.id, actor: erin });
    refused(desk.run(approveAction, { taskId: approval.id, actor: fred }), 'invalid_state');
  });

  it('an unknown task is not found, and a malformed request is invalid rather than a crash', () => {
    const desk = new Desk();
    refused(desk.run(claimTaskAction, { taskId: '999', actor: alice }), 'not_found');
    refused(desk.run(claimTaskAction, { taskId: desk.task('review').id, actor: { name: '', role: 'fact_checker' } }), 'invalid');
    refused(desk.run(claimTaskAction, null as unknown as { taskId: string; actor: typeof alice }), 'invalid');
    refused(desk.run(reprioritizeAction, { actor: erin, priority: 'asap' as 'urgent' }), 'invalid');
  });

  it('an approval task refuses a verdict, a review task refuses an approval', () => {
    const desk = awaitingApproval();
    const approval = desk.task('approval');
    desk.ok(claimTaskAction, { taskId: approval.id, actor: erin });
    refused(desk.run(submitVerdictAction, { taskId: approval.id, actor: erin, verdict: verdict() }), 'invalid_state');
    const fresh = new Desk();
    const review = fresh.task('review');
    fresh.ok(claimTaskAction, { taskId: review.id, actor: ada });
    refused(fresh.run(approveAction, { taskId: review.id, actor: ada }), 'invalid_state');
  });

  it('a refused Update changes nothing', () => {
    const desk = awaitingApproval();
    const before = structuredClone(desk.s);
    desk.run(approveAction, { taskId: desk.task('approval').id, actor: alice });
    desk.run(sendBackAction, { taskId: desk.task('approval').id, actor: erin, comment: '  ' });
    expect(desk.s).toEqual(before);
  });
});

describe('claim state: four-eyes', () => {
  it('the reviewer, even as an admin, cannot claim or approve their own verdict', () => {
    const desk = new Desk();
    const review = desk.task('review');
    desk.ok(claimTaskAction, { taskId: review.id, actor: ada });
    desk.ok(submitVerdictAction, { taskId: review.id, actor: ada, verdict: verdict() });
    const approval = desk.task('approval');
    expect(approval.reviewer).toBe('ada');
    refused(desk.run(claimTaskAction, { taskId: approval.id, actor: ada }), 'forbidden');
    refused(desk.run(approveAction, { taskId: approval.id, actor: ada }), 'forbidden');
  });

  it('with two approvers, the same editor cannot approve twice', () => {
    const desk = awaitingApproval({ ...POLICY, approvers: 2 });
    const first = desk.task('approval');
    desk.ok(claimTaskAction, { taskId: first.id, actor: erin });
    desk.ok(approveAction, { taskId: first.id, actor: erin });
    const second = desk.task('approval', 'open');
    expect(second.id).not.toBe(first.id);
    refused(desk.run(claimTaskAction, { taskId: second.id, actor: erin }), 'forbidden');
    desk.ok(claimTaskAction, { taskId: second.id, actor: fred });
    const d = desk.ok(approveAction, { taskId: second.id, actor: fred });
    expect(d.kind === 'write' && d.write.verdict?.approver).toBe('erin, fred');
    expect(desk.s.status).toBe('verdict_recorded');
  });
});

describe('claim state: leases', () => {
  it('only the holder releases or renews; an admin may release anyone', () => {
    const desk = new Desk();
    const task = desk.task('review');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    refused(desk.run(releaseTaskAction, { taskId: task.id, actor: bob }), 'forbidden');
    refused(desk.run(renewLeaseAction, { taskId: task.id, actor: bob }), 'forbidden');
    refused(desk.run(renewLeaseAction, { taskId: task.id, actor: ada }), 'forbidden');
    desk.ok(releaseTaskAction, { taskId: task.id, actor: ada });
    expect(task).toMatchObject({ status: 'open', assignee: null, leaseExpiresAt: null });
    expect(desk.s.status).toBe('awaiting_review');
    refused(desk.run(releaseTaskAction, { taskId: task.id, actor: alice }), 'invalid_state');
  });

  it('renewing (or claiming again) restarts the lease from now', () => {
    const desk = new Desk();
    const task = desk.task('review');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    desk.now += POLICY.leaseMs / 2;
    const d = desk.ok(renewLeaseAction, { taskId: task.id, actor: alice });
    expect(d).toMatchObject({ kind: 'renew', renewal: { taskId: task.id, holder: 'alice', leaseExpiresAt: desk.now + POLICY.leaseMs } });
    desk.now += 1000;
    expect(desk.ok(claimTaskAction, { taskId: task.id, actor: alice }).kind).toBe('renew');
    expect(task.leaseExpiresAt).toBe(desk.now + POLICY.leaseMs);
  });

  it('an idle lease expires: the task goes back to the queue, its claim SLA clock still running from when it opened', () => {
    const desk = new Desk();
    const task = desk.task('review');
    const opened = task.openSince;
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    expect(nextDeadline(desk.s, POLICY)).toBe(task.leaseExpiresAt);
    desk.advance(POLICY.leaseMs);
    expect(task).toMatchObject({ status: 'open', assignee: null, openSince: opened, dueAt: opened + POLICY.claimSlaMs.normal });
    expect(desk.writes.at(-1)?.event).toMatchObject({ type: 'lease_expired', payload: { previousAssignee: 'alice' } });
  });

  it('under SLA rules 1 (runs recorded before rules 2) an expired lease restarted the claim SLA clock', () => {
    const desk = new Desk(POLICY, 'initial', 1);
    const task = desk.task('review');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    desk.advance(POLICY.leaseMs);
    expect(task).toMatchObject({ status: 'open', openSince: desk.now, dueAt: desk.now + POLICY.claimSlaMs.normal });
    expect(task.verdictClockSince).toBeUndefined();
  });
});

describe('claim state: verdicts, approval and send-back', () => {
  it('a verdict that needs no approval is recorded with the review', () => {
    const desk = new Desk({ ...POLICY, approvalRequiredFor: ['false'] });
    const task = desk.task('review');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    const d = desk.ok(submitVerdictAction, { taskId: task.id, actor: alice, verdict: verdict('true') });
    expect(d.kind === 'write' && d.write.verdict).toMatchObject({ rating: 'true', reviewer: 'alice', approver: null, version: 1 });
    expect(desk.s).toMatchObject({ stage: 'done', status: 'verdict_recorded' });
    expect(desk.s.tasks.some((t) => t.kind === 'approval')).toBe(false);
  });

  it('a verdict that needs approval opens an approval task naming the reviewer', () => {
    const desk = awaitingApproval();
    expect(desk.s).toMatchObject({ stage: 'approval', status: 'awaiting_approval', proposed: { reviewer: 'alice', round: 1, approvals: [] } });
    expect(desk.task('approval')).toMatchObject({ status: 'open', reviewer: 'alice', round: 1 });
  });

  it('send-back returns the task to the same reviewer, claimed, in round + 1 with the comment', () => {
    const desk = awaitingApproval();
    const approval = desk.task('approval');
    desk.ok(claimTaskAction, { taskId: approval.id, actor: erin });
    desk.ok(sendBackAction, { taskId: approval.id, actor: erin, comment: '  cite the ONS release  ' });
    const review = desk.task('review', 'claimed');
    expect(review).toMatchObject({ assignee: 'alice', reviewer: 'alice', round: 2, comment: 'cite the ONS release', leaseExpiresAt: desk.now + POLICY.leaseMs });
    expect(desk.s).toMatchObject({ round: 2, stage: 'review', status: 'in_review', proposed: null });
    expect(approval).toMatchObject({ status: 'completed', comment: 'cite the ONS release' });
  });

  it('a send-back needs a comment', () => {
    const desk = awaitingApproval();
    const approval = desk.task('approval');
    desk.ok(claimTaskAction, { taskId: approval.id, actor: erin });
    refused(desk.run(sendBackAction, { taskId: approval.id, actor: erin, comment: ' ' }), 'invalid');
  });

  it('a verdict is checked against the verdict schema', () => {
    const desk = new Desk();
    const task = desk.task('review');
    desk.ok(claimTaskAction, { taskId: task.id, actor: alice });
    const r = refused(desk.run(submitVerdictAction, { taskId: task.id, actor: alice, verdict: { ...verdict(), rating: 'pants_on_fire' as 'true' } }), 'invalid');
    expect(r.message).toMatch(/^verdict\.rating/);
  });
});

describe('claim state: withdrawal', () => {
  it('withdrawn is terminal: every later Update is refused', () => {
    const desk = awaitingApproval();
    desk.ok(withdrawAction, { actor: erin, reason: 'duplicate claim' });
    expect(desk.s).toMatchObject({ stage: 'withdrawn', status: 'withdrawn' });
    expect(desk.s.tasks.every((t) => t.status === 'completed' || t.status === 'cancelled')).toBe(true);
    const approval = desk.task('approval');
    refused(desk.run(withdrawAction, { actor: erin, reason: 'again' }), 'invalid_state');
    refused(desk.run(reprioritizeAction, { actor: erin, priority: 'high' }), 'invalid_state');
    refused(desk.run(claimTaskAction, { taskId: approval.id, actor: fred }), 'invalid_state');
    expect(nextDeadline(desk.s, POLICY)).toBeNull();
  });

  it('withdrawing needs a reason', () => {
    refused(new Desk().run(withdrawAction, { actor: erin, reason: '' }), 'invalid');
  });

  it('withdrawing a correction leaves the recorded verdict standing', () => {
    const desk = new Desk(POLICY, 'correction');
    const d = desk.ok(withdrawAction, { actor: erin, reason: 'no change after all' });
    expect(desk.s.status).toBe('verdict_recorded');
    expect(d.kind === 'write' && d.write.event.type).toBe('correction_withdrawn');
  });
});

describe('claim state: deadlines and priority', () => {
  it('an unclaimed task escalates one priority step per missed SLA, up to the policy maximum', () => {
    const desk = new Desk();
    const task = desk.task('review');
    desk.advance(POLICY.claimSlaMs.normal);
    expect(task).toMatchObject({ priority: 'high', escalationLevel: 1 });
    expect(desk.s.priority).toBe('high');
    desk.advance(POLICY.claimSlaMs.high);
    expect(task).toMatchObject({ priority: 'urgent', escalationLevel: 2 });
    expect(nextDeadline(desk.s, POLICY)).toBeNull();
  });

  it('the next deadline is the earliest of the SLA and lease deadlines', () => {
    const desk = awaitingApproval();
    const approval = desk.task('approval');
    expect(nextDeadline(desk.s, POLICY)).toBe(approval.openSince + POLICY.claimSlaMs.normal);
    desk.ok(claimTaskAction, { taskId: approval.id, actor: erin });
    expect(nextDeadline(desk.s, POLICY)).toBe(desk.now + POLICY.leaseMs);
  });

  it('a policy missing a duration falls back to the default instead of a NaN deadline', () => {
    const partial = { ...POLICY, claimSlaMs: { urgent: HOUR } } as unknown as ReviewPolicy;
    const desk = new Desk(partial);
    expect(nextDeadline(desk.s, partial)).toBe(desk.now + POLICY.claimSlaMs.normal);
    const noLease = { ...POLICY, leaseMs: undefined } as unknown as ReviewPolicy;
    const held = new Desk(noLease);
    held.ok(claimTaskAction, { taskId: held.task('review').id, actor: alice });
    expect(nextDeadline(held.s, noLease)).toBe(held.now + POLICY.leaseMs);
  });

  it('reprioritizing restarts the SLA clock of open tasks only', () => {
    const desk = awaitingApproval();
    const approval = desk.task('approval');
    desk.now += 1000;
    desk.ok(reprioritizeAction, { actor: erin, priority: 'urgent' });
    expect(approval).toMatchObject({ priority: 'urgent', openSince: desk.now, dueAt: desk.now + POLICY.claimSlaMs.urgent });
    expect(desk.task('review', 'completed').priority).toBe('normal');
  });

  it('the status for tasks: approval over review, claimed review over open', () => {
    const desk = new Desk();
    expect(statusForTasks(desk.s.tasks)).toBe('awaiting_review');
    desk.ok(claimTaskAction, { taskId: desk.task('review').id, actor: alice });
    expect(statusForTasks(desk.s.tasks)).toBe('in_review');
    desk.ok(submitVerdictAction, { taskId: desk.task('review').id, actor: alice, verdict: verdict() });
    expect(statusForTasks(desk.s.tasks)).toBe('awaiting_approval');
  });
});
