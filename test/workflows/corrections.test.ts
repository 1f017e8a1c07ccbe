import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaimWorkflows, TaskActionError, type ClaimWorkflows } from '../../src/services/claim-workflows.ts';
import { claimWorkflowId, webhookWorkflowId } from '../../workflows/messages.ts';
import { openTestEnv, startTestWorker, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import { alice, bob, claimStatus, erin, eventsOf, fred, insertClaim, sampleVerdict, tasksOf, waitForTask } from './support.ts';

describe('claim verification workflow: corrections', () => {
  let env: TestEnv;
  let stopWorker: () => Promise<void>;
  let flows: ClaimWorkflows;
  const taskQueue = uniqueTaskQueue('claim-corrections');

  beforeAll(async () => {
    env = await openTestEnv();
    ({ stop: stopWorker } = await startTestWorker(env, taskQueue));
    flows = createClaimWorkflows(env.client, { taskQueue });
  });
  afterAll(async () => {
    await stopWorker?.();
    await env?.close();
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
