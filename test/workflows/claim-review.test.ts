import { describe, expect, it } from 'vitest';
import { TaskActionError } from '../../src/domain/review.ts';
import { type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { claimTaskUpdate, claimWorkflowId } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { ada, alice, bob, claimStatus, erin, eventTypes, fred, insertClaim, sampleVerdict, tasksOf, waitForTask, useWorkflowWorker } from './support.ts';

describe('claim verification workflow: review and approval', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  useWorkflowWorker('claim-review', (ready) => {
    ({ env, flows } = ready);
  });

  async function rejection(p: Promise<unknown>): Promise<TaskActionError> {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TaskActionError);
    return err as TaskActionError;
  }

  it('runs a claim from research through review and approval to a recorded verdict', async () => {
    const claimId = await insertClaim(env.db);
    const { workflowId } = await flows.startClaim(claimId);
    expect(workflowId).toBe(claimWorkflowId(claimId));
    // Starting again is a no-op.
    await flows.startClaim(claimId);

    const review = await waitForTask(env.db, claimId, 'review');
    expect(review).toMatchObject({ status: 'open', assignee: null, round: 1, priority: 'normal' });
    expect(await claimStatus(env.db, claimId)).toBe('awaiting_review');
    const types = await eventTypes(env.db, claimId);
    expect(types[0]).toBe('research_started');
    expect(types).toContain('automated_checks');
    expect(types.at(-1)).toBe('review_opened');
    const checks = await env.db.selectFrom('claims').select('checks').where('id', '=', claimId).executeTakeFirstOrThrow();
    // A hand-entered claim gets its arithmetic checked by the workflow: 400 → 300 is 25%, not 40%.
    expect(checks.checks).toEqual([expect.objectContaining({ type: 'arithmetic', status: 'inconsistent' })]);

    const claimed = await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    expect(claimed).toEqual({ claimId, status: 'in_review', taskId: review.id, verdictId: null });
    // Read-your-writes: the update returned after its transaction committed.
    expect(await claimStatus(env.db, claimId)).toBe('in_review');
    expect((await tasksOf(env.db, claimId))[0]).toMatchObject({ status: 'claimed', assignee: 'alice' });
    const live = await flows.liveState(claimId);
    expect(live).toMatchObject({ status: 'in_review', stage: 'review', round: 1 });

    const proposed = await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
    expect(proposed.status).toBe('awaiting_approval');
    let tasks = await tasksOf(env.db, claimId);
    expect(tasks.map((t) => [t.kind, t.status])).toEqual([
      ['review', 'completed'],
      ['approval', 'open'],
    ]);
    const approval = tasks[1]!;
    expect(approval.reviewer).toBe('alice');

    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: erin });
    expect(await claimStatus(env.db, claimId)).toBe('awaiting_approval');
    const approved = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
    expect(approved.status).toBe('verdict_recorded');
    expect(approved.verdictId).not.toBeNull();

    const verdicts = await env.db.selectFrom('verdicts').selectAll().where('claim_id', '=', claimId).execute();
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ id: approved.verdictId, version: 1, rating: 'mostly_true', reviewer: 'alice', approver: 'erin', supersedes: null });
    tasks = await tasksOf(env.db, claimId);
    expect(tasks.every((t) => t.status === 'completed')).toBe(true);
    expect(await eventTypes(env.db, claimId)).toEqual([
      'research_started',
      'automated_checks',
      'review_opened',
      'task_claimed',
      'verdict_proposed',
      'task_claimed',
      'verdict_recorded',
    ]);

    const handle = env.client.workflow.getHandle(workflowId);
    expect(await handle.result()).toMatchObject({ status: 'verdict_recorded', verdictId: approved.verdictId, version: 1 });
    const history = await handle.fetchHistory();
    console.log(`[history] happy-path claim: ${history.events?.length ?? 0} events`);
    // Far below the SDK's continue-as-new suggestion (thousands): a claim's history stays small.
    expect(history.events?.length ?? 0).toBeLessThan(150);
    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({ ClaimStatus: ['verdict_recorded'], ClaimId: [claimId], Priority: ['normal'] });

    // The workflow has finished: a late action is refused with the current state.
    const late = await rejection(flows.act(claimId, { type: 'claim', taskId: approval.id, actor: fred }));
    expect(late.code).toBe('invalid_state');
    expect(late.currentState).toBe('verdict_recorded');
  });

  it('sends a verdict back to its reviewer as round 2 and records it after re-approval', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
    const approval = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: erin });

    const empty = await rejection(flows.act(claimId, { type: 'sendBack', taskId: approval.id, actor: erin, comment: '  ' }));
    expect(empty.code).toBe('invalid');

    const sent = await flows.act(claimId, { type: 'sendBack', taskId: approval.id, actor: erin, comment: 'Cite the primary release, not the press story.' });
    expect(sent.status).toBe('in_review');
    const tasks = await tasksOf(env.db, claimId);
    expect(tasks.map((t) => [t.kind, t.status, t.round, t.assignee])).toEqual([
      ['review', 'completed', 1, 'alice'],
      ['approval', 'completed', 1, 'erin'],
      ['review', 'claimed', 2, 'alice'],
    ]);
    const round2 = tasks[2]!;
    expect(round2.comment).toBe('Cite the primary release, not the press story.');
    expect(await claimStatus(env.db, claimId)).toBe('in_review');

    // Someone else cannot answer for alice.
    const notHers = await rejection(flows.act(claimId, { type: 'submitVerdict', taskId: round2.id, actor: bob, verdict: sampleVerdict }));
    expect(notHers.code).toBe('forbidden');
    expect(notHers.holder).toBe('alice');

    await flows.act(claimId, { type: 'submitVerdict', taskId: round2.id, actor: alice, verdict: { ...sampleVerdict, rating: 'half_true' } });
    const approval2 = await waitForTask(env.db, claimId, 'approval');
    expect(approval2.round).toBe(2);
    await flows.act(claimId, { type: 'claim', taskId: approval2.id, actor: fred });
    const done = await flows.act(claimId, { type: 'approve', taskId: approval2.id, actor: fred });
    expect(done.status).toBe('verdict_recorded');
    const verdicts = await env.db.selectFrom('verdicts').select(['version', 'rating', 'approver']).where('claim_id', '=', claimId).execute();
    expect(verdicts).toEqual([{ version: 1, rating: 'half_true', approver: 'fred' }]);
    expect((await eventTypes(env.db, claimId)).filter((t) => t === 'sent_back')).toHaveLength(1);

    const history = await env.client.workflow.getHandle(claimWorkflowId(claimId)).fetchHistory();
    console.log(`[history] claim with one send-back: ${history.events?.length ?? 0} events`);
    expect(history.events?.length ?? 0).toBeLessThan(200);
  });

  it('refuses the reviewer as approver (four-eyes) and wrong roles, before anything is written', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');

    const editorReviewing = await rejection(flows.act(claimId, { type: 'claim', taskId: review.id, actor: erin }));
    expect(editorReviewing.code).toBe('forbidden');

    // An admin may review; the same admin may then not approve their own verdict.
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: ada });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: ada, verdict: sampleVerdict });
    const approval = await waitForTask(env.db, claimId, 'approval');
    const before = await eventTypes(env.db, claimId);

    const ownVerdict = await rejection(flows.act(claimId, { type: 'claim', taskId: approval.id, actor: ada }));
    expect(ownVerdict.code).toBe('forbidden');
    expect(ownVerdict.message).toMatch(/four-eyes/);
    const factChecker = await rejection(flows.act(claimId, { type: 'claim', taskId: approval.id, actor: alice }));
    expect(factChecker.code).toBe('forbidden');
    const notClaimed = await rejection(flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin }));
    expect(notClaimed.code).toBe('invalid_state');
    const unknownTask = await rejection(flows.act(claimId, { type: 'approve', taskId: '999999999', actor: erin }));
    expect(unknownTask.code).toBe('not_found');
    const badVerdict = await rejection(flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: ada, verdict: { ...sampleVerdict, rating: 'pants_on_fire' as never } }));
    expect(badVerdict.code).toBe('invalid_state');

    expect(await eventTypes(env.db, claimId)).toEqual(before);
    expect((await tasksOf(env.db, claimId))[1]).toMatchObject({ status: 'open', assignee: null });
    expect(await claimStatus(env.db, claimId)).toBe('awaiting_approval');

    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: erin });
    const done = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
    expect(done.status).toBe('verdict_recorded');
  });

  it('refuses the wrong assignee and validates verdict input', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    const unclaimed = await rejection(flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict }));
    expect(unclaimed.code).toBe('invalid_state');
    expect(unclaimed.currentState).toBe('open');

    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    const wrongAssignee = await rejection(flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: bob, verdict: sampleVerdict }));
    expect(wrongAssignee.code).toBe('forbidden');
    expect(wrongAssignee.holder).toBe('alice');
    expect(wrongAssignee.message).toContain('alice');
    const wrongRelease = await rejection(flows.act(claimId, { type: 'release', taskId: review.id, actor: bob }));
    expect(wrongRelease.code).toBe('forbidden');

    // A malformed request (no actor) straight to the workflow is refused as invalid, not a crash.
    const raw = await env.client.workflow
      .getHandle(claimWorkflowId(claimId))
      .executeUpdate(claimTaskUpdate, { args: [{ taskId: review.id } as never] })
      .catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((raw as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'invalid' });

    const invalid = await rejection(flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: { ...sampleVerdict, summary: '', citations: [] } }));
    expect(invalid.code).toBe('invalid');
    expect(invalid.message).toContain('summary');

    // Release puts it back in the queue, where bob can take it.
    const released = await flows.act(claimId, { type: 'release', taskId: review.id, actor: alice });
    expect(released.status).toBe('awaiting_review');
    expect((await tasksOf(env.db, claimId))[0]).toMatchObject({ status: 'open', assignee: null });
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: bob });
    expect((await tasksOf(env.db, claimId))[0]).toMatchObject({ status: 'claimed', assignee: 'bob' });
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });

  it('lets exactly one of two racing reviewers claim a task; the other is told who holds it', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    const outcomes = await Promise.allSettled([
      flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice }),
      flows.act(claimId, { type: 'claim', taskId: review.id, actor: bob }),
    ]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const err = lost[0]!.reason as TaskActionError;
    expect(err).toBeInstanceOf(TaskActionError);
    expect(err.code).toBe('conflict');
    const task = (await tasksOf(env.db, claimId))[0]!;
    expect(task.status).toBe('claimed');
    expect(err.holder).toBe(task.assignee);
    expect(err.message).toContain(task.assignee!);
    expect((await eventTypes(env.db, claimId)).filter((t) => t === 'task_claimed')).toHaveLength(1);
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });

  it('withdraws at each stage, cancelling whatever is open', async () => {
    // While researching (before any task exists).
    const early = await insertClaim(env.db);
    await flows.startClaim(early);
    await flows.act(early, { type: 'withdraw', actor: erin, reason: 'duplicate of another claim' });
    expect(await claimStatus(env.db, early)).toBe('withdrawn');
    expect(await env.client.workflow.getHandle(claimWorkflowId(early)).result()).toMatchObject({ status: 'withdrawn', verdictId: null });
    expect(await tasksOf(env.db, early)).toEqual([]);

    // With an open review task.
    const open = await insertClaim(env.db);
    await flows.startClaim(open);
    await waitForTask(env.db, open, 'review');
    const refused = await rejection(flows.act(open, { type: 'withdraw', actor: alice, reason: 'not mine to withdraw' }));
    expect(refused.code).toBe('forbidden');
    await flows.act(open, { type: 'withdraw', actor: erin, reason: 'story spiked' });
    expect((await tasksOf(env.db, open)).map((t) => t.status)).toEqual(['cancelled']);

    // With a claimed review task.
    const inReview = await insertClaim(env.db);
    await flows.startClaim(inReview);
    const r = await waitForTask(env.db, inReview, 'review');
    await flows.act(inReview, { type: 'claim', taskId: r.id, actor: alice });
    await flows.act(inReview, { type: 'withdraw', actor: ada, reason: 'story spiked' });
    expect((await tasksOf(env.db, inReview)).map((t) => t.status)).toEqual(['cancelled']);

    // Awaiting approval.
    const awaiting = await insertClaim(env.db);
    await flows.startClaim(awaiting);
    const r2 = await waitForTask(env.db, awaiting, 'review');
    await flows.act(awaiting, { type: 'claim', taskId: r2.id, actor: alice });
    await flows.act(awaiting, { type: 'submitVerdict', taskId: r2.id, actor: alice, verdict: sampleVerdict });
    const a2 = await waitForTask(env.db, awaiting, 'approval');
    await flows.act(awaiting, { type: 'claim', taskId: a2.id, actor: erin });
    const withdrawn = await flows.act(awaiting, { type: 'withdraw', actor: erin, reason: 'claim retracted by speaker' });
    expect(withdrawn.status).toBe('withdrawn');
    expect((await tasksOf(env.db, awaiting)).map((t) => [t.kind, t.status])).toEqual([
      ['review', 'completed'],
      ['approval', 'cancelled'],
    ]);
    expect(await env.db.selectFrom('verdicts').select('id').where('claim_id', '=', awaiting).execute()).toEqual([]);

    for (const id of [early, open, inReview, awaiting]) {
      expect(await claimStatus(env.db, id)).toBe('withdrawn');
      expect((await eventTypes(env.db, id)).at(-1)).toBe('withdrawn');
      const result = await env.client.workflow.getHandle(claimWorkflowId(id)).result();
      expect(result.status).toBe('withdrawn');
    }
    // Withdrawn is final.
    const again = await rejection(flows.act(awaiting, { type: 'withdraw', actor: erin, reason: 'again' }));
    expect(again.code).toBe('invalid_state');
  });
});
