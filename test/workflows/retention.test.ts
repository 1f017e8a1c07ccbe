import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { DEFAULT_REVIEW_POLICY } from '../../src/domain/review.ts';
import { articleWorkflowId, claimWorkflowId, type ArticleIntakeResult, type ClaimWorkflowInput } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { alice, bob, claimStatus, erin, eventTypes, eventually, fred, insertClaim, sampleVerdict, tasksOf, waitForTask, useWorkflowWorker } from './support.ts';

// Temporal forgets closed runs after the namespace's retention; an operator may terminate a run. Postgres remembers
// what happened to a claim, so it decides whether a claim starts (once) and whether it has a verdict to correct.

describe('claim verification workflow: Postgres decides "only once", not Temporal retention', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  const taskQueue = useWorkflowWorker('claim-retention', (ready) => {
    ({ env, flows } = ready);
  });

  /** What retention does to a closed run: the workflow execution is deleted from Temporal. */
  async function purge(workflowId: string): Promise<void> {
    await env.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
    await eventually(`deletion of ${workflowId}`, async () => {
      try {
        await env.client.workflow.getHandle(workflowId).describe();
        return false;
      } catch (err) {
        return err instanceof WorkflowNotFoundError;
      }
    }, 90_000);
  }

  async function toVerdict(claimId: string): Promise<string> {
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
    const approval = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: erin });
    const done = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
    await env.client.workflow.getHandle(claimWorkflowId(claimId)).result();
    return done.verdictId!;
  }

  it('a claim with a verdict whose workflow was deleted can be corrected, and is never begun again by an initial run', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const v1 = await toVerdict(claimId);
    await purge(claimWorkflowId(claimId));

    // Temporal has no run of the claim any more: the verdicts table says there is one to correct.
    await flows.requestCorrection(claimId, fred, 'The office revised the figure.');
    const review = await waitForTask(env.db, claimId, 'review');
    expect(review.comment).toBe('The office revised the figure.');
    expect(await flows.liveState(claimId)).toMatchObject({ mode: 'correction', version: 2, supersedes: v1 });
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'the reader was mistaken' });
    await env.client.workflow.getHandle(claimWorkflowId(claimId)).result();
    const eventsBefore = await eventTypes(env.db, claimId);

    // An initial run started again (as after retention, or by an operator): it finds the verdict in Postgres and
    // ends having written nothing.
    const input: ClaimWorkflowInput = { claimId, policy: DEFAULT_REVIEW_POLICY, mode: 'initial' };
    const rerun = await env.client.workflow.start('claimVerificationWorkflow', { taskQueue, workflowId: claimWorkflowId(claimId), args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE });
    expect(await rerun.result()).toEqual({ claimId, status: 'verdict_recorded', verdictId: v1, version: null });
    expect(await eventTypes(env.db, claimId)).toEqual(eventsBefore);
    expect(await claimStatus(env.db, claimId)).toBe('verdict_recorded');
    expect((await tasksOf(env.db, claimId)).filter((t) => t.status === 'open' || t.status === 'claimed')).toEqual([]);
    expect(await env.db.selectFrom('verdicts').select('id').where('claim_id', '=', claimId).execute()).toEqual([{ id: v1 }]);
  });

  it('a claim whose run was terminated is not begun a second time by another run', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: bob });
    const handle = env.client.workflow.getHandle(claimWorkflowId(claimId));
    await handle.terminate('operator test');
    const eventsBefore = await eventTypes(env.db, claimId);

    // An operator (or an older client) starts the id again, as Temporal allows after a terminated run.
    const input: ClaimWorkflowInput = { claimId, policy: DEFAULT_REVIEW_POLICY, mode: 'initial' };
    const again = await env.client.workflow.start('claimVerificationWorkflow', {
      taskQueue,
      workflowId: claimWorkflowId(claimId),
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    expect(await again.result()).toEqual({ claimId, status: 'in_review', verdictId: null, version: null });
    expect(await eventTypes(env.db, claimId)).toEqual(eventsBefore);
    expect(await tasksOf(env.db, claimId)).toEqual([expect.objectContaining({ id: review.id, status: 'claimed', assignee: 'bob' })]);
    // And it has no verdict: there is nothing to correct.
    await expect(flows.requestCorrection(claimId, erin, 'reopen')).rejects.toMatchObject({ code: 'invalid_state', currentState: 'in_review' });
  });

  it('an article submitted again after its workflows were deleted starts only claims never started', async () => {
    const text = `Unemployment fell from 5.2% to 4.8% last year, the statistics office said. Exports grew from £30bn to £36bn, a rise of 20 per cent. (${Date.now()})`;
    const article = await env.db
      .insertInto('articles')
      .values({ title: 'Jobs', body: text, content_hash: createHash('sha256').update(text).digest('hex') })
      .returning('id')
      .executeTakeFirstOrThrow();
    await flows.startArticleIntake(article.id);
    const first = (await env.client.workflow.getHandle(articleWorkflowId(article.id)).result()) as ArticleIntakeResult;
    expect(first.started.length).toBeGreaterThan(0);
    for (const claimId of first.started) await waitForTask(env.db, claimId, 'review');
    const [kept, ...dropped] = first.started;
    for (const claimId of dropped) await env.client.workflow.getHandle(claimWorkflowId(claimId)).terminate('test');
    for (const claimId of [articleWorkflowId(article.id), ...dropped.map(claimWorkflowId)]) await purge(claimId);

    await flows.startArticleIntake(article.id);
    const second = (await env.client.workflow.getHandle(articleWorkflowId(article.id)).result()) as ArticleIntakeResult;
    expect(second.claimIds).toEqual(first.claimIds);
    expect(second.started).toEqual([]);
    for (const claimId of first.started) {
      expect((await eventTypes(env.db, claimId)).filter((t) => t === 'research_started')).toHaveLength(1);
    }
    await flows.act(kept!, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });
});
