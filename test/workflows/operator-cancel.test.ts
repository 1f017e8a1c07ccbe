import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { alice, claimStatus, erin, eventsOf, insertClaim, sampleVerdict, tasksOf, useWorkflowWorker, waitForTask } from './support.ts';

// An operator cancelling a claim's workflow in the Temporal UI or CLI (not the withdraw Update): the read model
// must show the claim withdrawn, not a task still waiting for someone.
describe('claim verification workflow: cancelled from Temporal', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  useWorkflowWorker('claim-operator-cancel', (ready) => {
    ({ env, flows } = ready);
  });

  /** Cancels the claim's current run and waits for it to end; returns how it ended. */
  async function cancelRun(claimId: string): Promise<{ error: unknown; status: string }> {
    const handle = env.client.workflow.getHandle(claimWorkflowId(claimId));
    await handle.cancel();
    const error = await handle.result().then(
      () => null,
      (e: unknown) => e,
    );
    return { error, status: (await handle.describe()).status.name };
  }

  function expectCancelled({ error, status }: { error: unknown; status: string }): void {
    expect(status).toBe('CANCELLED');
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  }

  it('writes a withdrawal when cancelled while the review task is open', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const task = await waitForTask(env.db, claimId, 'review');
    expect(await claimStatus(env.db, claimId)).toBe('awaiting_review');

    expectCancelled(await cancelRun(claimId));

    expect(await claimStatus(env.db, claimId)).toBe('withdrawn');
    expect(await tasksOf(env.db, claimId)).toMatchObject([{ id: task.id, status: 'cancelled', assignee: null }]);
    const events = await eventsOf(env.db, claimId);
    expect(events.at(-1)).toEqual({ type: 'withdrawn', actor: 'temporal', payload: { reason: 'workflow cancelled in Temporal', cancelledTaskIds: [task.id] } });
    expect(events.filter((e) => e.type === 'withdrawn')).toHaveLength(1);
  });

  it('cancels a claimed task when cancelled while in review', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const task = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: task.id, actor: alice });
    expect(await claimStatus(env.db, claimId)).toBe('in_review');

    expectCancelled(await cancelRun(claimId));

    expect(await claimStatus(env.db, claimId)).toBe('withdrawn');
    expect(await tasksOf(env.db, claimId)).toMatchObject([{ id: task.id, status: 'cancelled', assignee: 'alice', lease_expires_at: null }]);
    const events = await eventsOf(env.db, claimId);
    expect(events.map((e) => e.type)).toContain('task_claimed');
    expect(events.at(-1)).toMatchObject({ type: 'withdrawn', actor: 'temporal', payload: { reason: 'workflow cancelled in Temporal', cancelledTaskIds: [task.id] } });
    // The API's view agrees: nothing is left for alice to act on.
    const late = await flows.act(claimId, { type: 'submitVerdict', taskId: task.id, actor: alice, verdict: sampleVerdict }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(Error);
  });

  it('leaves the recorded verdict standing when a correction run is cancelled', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
    const approval = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: erin });
    const done = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
    await env.client.workflow.getHandle(claimWorkflowId(claimId)).result();

    await flows.requestCorrection(claimId, erin, 'A reader disputes the figure.');
    const reopened = await waitForTask(env.db, claimId, 'review');
    expect(reopened.id).not.toBe(review.id);
    expect(await claimStatus(env.db, claimId)).toBe('awaiting_review');

    expectCancelled(await cancelRun(claimId));

    expect(await claimStatus(env.db, claimId)).toBe('verdict_recorded');
    expect((await tasksOf(env.db, claimId)).find((t) => t.id === reopened.id)).toMatchObject({ status: 'cancelled' });
    const events = await eventsOf(env.db, claimId);
    expect(events.at(-1)).toMatchObject({
      type: 'correction_withdrawn',
      actor: 'temporal',
      payload: { reason: 'workflow cancelled in Temporal', cancelledTaskIds: [reopened.id], standingVerdictId: done.verdictId },
    });
    const verdicts = await env.db.selectFrom('verdicts').select(['id', 'version']).where('claim_id', '=', claimId).execute();
    expect(verdicts).toEqual([{ id: done.verdictId, version: 1 }]);
  });
});
