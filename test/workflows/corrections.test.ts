import { describe, expect, it } from 'vitest';
import { TaskActionError } from '../../src/domain/review.ts';
import { type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { claimWorkflowId, webhookWorkflowId } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { alice, bob, claimStatus, erin, eventsOf, eventually, fred, insertClaim, sampleVerdict, tasksOf, waitForTask, useWorkflowWorker } from './support.ts';

describe('claim verification workflow: corrections', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  useWorkflowWorker('claim-corrections', (ready) => {
    ({ env, flows } = ready);
  });

  async function toVerdict(claimId: string, reviewer = alice, approver = erin): Promise<string> {
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: reviewer });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: reviewer, verdict: sampleVerdict });
    const approval = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: approver });
    const done = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: approver });
    expect(done.status).toBe('verdict_recorded');
    await env.client.workflow.getHandle(claimWorkflowId(claimId)).result();
    return done.verdictId!;
  }

  it('reopens a recorded verdict and records version 2 superseding version 1, keeping both', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);

    const early = await flows.requestCorrection(claimId, erin, 'too early').catch((e: unknown) => e);
    expect(early).toBeInstanceOf(TaskActionError);
    expect((early as TaskActionError).code).toBe('conflict');

    const v1 = await toVerdict(claimId);
    const notEditor = await flows.requestCorrection(claimId, alice, 'I changed my mind').catch((e: unknown) => e);
    expect(notEditor).toMatchObject({ code: 'forbidden' });

    const { workflowId } = await flows.requestCorrection(claimId, erin, 'The release was revised on Friday.');
    expect(workflowId).toBe(claimWorkflowId(claimId));
    const twice = await flows.requestCorrection(claimId, fred, 'again').catch((e: unknown) => e);
    expect(twice).toMatchObject({ code: 'conflict' });

    const review = await waitForTask(env.db, claimId, 'review');
    expect(review.comment).toBe('The release was revised on Friday.');
    expect(await claimStatus(env.db, claimId)).toBe('awaiting_review');
    const live = await flows.liveState(claimId);
    expect(live).toMatchObject({ mode: 'correction', version: 2, supersedes: v1 });

    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: bob });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: bob, verdict: { ...sampleVerdict, rating: 'misleading', summary: 'The revised release changes the picture.' } });
    const approval = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: fred });
    const done = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: fred });
    expect(done.status).toBe('verdict_recorded');

    const verdicts = await env.db
      .selectFrom('verdicts')
      .select(['id', 'version', 'rating', 'reviewer', 'approver', 'supersedes', 'correction_reason'])
      .where('claim_id', '=', claimId)
      .orderBy('version')
      .execute();
    expect(verdicts).toEqual([
      { id: v1, version: 1, rating: 'mostly_true', reviewer: 'alice', approver: 'erin', supersedes: null, correction_reason: null },
      { id: done.verdictId, version: 2, rating: 'misleading', reviewer: 'bob', approver: 'fred', supersedes: v1, correction_reason: 'The release was revised on Friday.' },
    ]);
    const events = await eventsOf(env.db, claimId);
    expect(events.find((e) => e.type === 'correction_opened')).toMatchObject({ actor: 'erin', payload: { reason: 'The release was revised on Friday.', previousVerdictId: v1, previousVersion: 1 } });
    expect(events.filter((e) => e.type === 'verdict_recorded')).toHaveLength(2);
    expect((await tasksOf(env.db, claimId)).filter((t) => t.kind === 'review')).toHaveLength(2);
    const result = await env.client.workflow.getHandle(claimWorkflowId(claimId)).result();
    expect(result).toMatchObject({ status: 'verdict_recorded', version: 2, verdictId: done.verdictId });

    // Each recorded verdict started its webhook delivery workflow, by name, as an abandoned child.
    for (const id of [v1, done.verdictId!]) {
      const webhook = await env.client.workflow.getHandle(webhookWorkflowId(id)).describe();
      expect(webhook.type).toBe('deliverVerdictWebhooks');
    }
  });

  it('withdrawing a correction leaves the recorded verdict standing, and a later correction still works', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const v1 = await toVerdict(claimId);
    await flows.requestCorrection(claimId, erin, 'A reader says the figure is wrong.');
    const dropped = await eventually('correction review task', async () => (await tasksOf(env.db, claimId)).find((t) => t.kind === 'review' && t.status === 'open'));
    await flows.act(claimId, { type: 'claim', taskId: dropped.id, actor: bob });

    // The editor finds the reader was mistaken: the correction is withdrawn, version 1 still stands.
    const withdrawn = await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'the reader misread the table' });
    expect(withdrawn.status).toBe('verdict_recorded');
    expect(await env.client.workflow.getHandle(claimWorkflowId(claimId)).result()).toMatchObject({ status: 'verdict_recorded', version: null });
    expect(await claimStatus(env.db, claimId)).toBe('verdict_recorded');
    expect((await tasksOf(env.db, claimId)).find((t) => t.id === dropped.id)).toMatchObject({ status: 'cancelled' });
    const description = await env.client.workflow.getHandle(claimWorkflowId(claimId)).describe();
    expect(description.searchAttributes).toMatchObject({ ClaimStatus: ['verdict_recorded'] });
    expect(await env.db.selectFrom('verdicts').select('id').where('claim_id', '=', claimId).execute()).toEqual([{ id: v1 }]);
    expect((await eventsOf(env.db, claimId)).at(-1)).toMatchObject({ type: 'correction_withdrawn', actor: 'erin', payload: { standingVerdictId: v1, cancelledTaskIds: [dropped.id] } });

    // A later correction opens its own round (its writes do not collide with the withdrawn run's) and records version 2.
    await flows.requestCorrection(claimId, fred, 'The office revised the figure.');
    const review = await eventually('second correction review task', async () => (await tasksOf(env.db, claimId)).find((t) => t.kind === 'review' && t.status === 'open'));
    expect(review.id).not.toBe(dropped.id);
    expect(review.comment).toBe('The office revised the figure.');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: bob });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: bob, verdict: { ...sampleVerdict, rating: 'half_true' } });
    const approval = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: fred });
    const done = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: fred });
    expect(done.status).toBe('verdict_recorded');
    const verdicts = await env.db.selectFrom('verdicts').select(['id', 'version', 'supersedes', 'correction_reason']).where('claim_id', '=', claimId).orderBy('version').execute();
    expect(verdicts).toEqual([
      { id: v1, version: 1, supersedes: null, correction_reason: null },
      { id: done.verdictId, version: 2, supersedes: v1, correction_reason: 'The office revised the figure.' },
    ]);
  });

  it('refuses a correction for a withdrawn claim', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'spiked' });
    await env.client.workflow.getHandle(claimWorkflowId(claimId)).result();
    const refused = await flows.requestCorrection(claimId, erin, 'reopen').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'invalid_state', currentState: 'withdrawn' });
    const missing = await flows.requestCorrection('987654321', erin, 'reopen').catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'not_found' });
  });
});
