import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { articleWorkflowId, claimWorkflowId, type ArticleIntakeResult } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { alice, claimStatus, erin, eventTypes, eventually, sampleVerdict, tasksOf, waitForTask, useWorkflowWorker } from './support.ts';

const body = (tag: string) => `Inflation eases but food prices keep climbing

Consumer price inflation fell to 3.1% in April from 3.4% in March, the Office for National Statistics said on Wednesday. It was the lowest rate since September 2021.

Average weekly pay grew from £680 to £712, a rise of 6.5 per cent.

That is good news for households.

Sign up for our daily business briefing (${tag})`;

describe('article intake workflow', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  const taskQueue = useWorkflowWorker('article-intake', (ready) => {
    ({ env, flows } = ready);
  });

  it('extracts claims, starts one claim workflow per check-worthy claim, and takes one to a verdict', async () => {
    const text = body(`intake-${Date.now()}`);
    const article = await env.db
      .insertInto('articles')
      .values({ title: 'Inflation eases', body: text, content_hash: createHash('sha256').update(text).digest('hex') })
      .returning('id')
      .executeTakeFirstOrThrow();

    const { workflowId } = await flows.startArticleIntake(article.id);
    expect(workflowId).toBe(articleWorkflowId(article.id));
    const intake = (await env.client.workflow.getHandle(workflowId).result()) as ArticleIntakeResult;
    expect(intake.claimIds.length).toBeGreaterThanOrEqual(2);
    expect(intake.started).toEqual(intake.claimIds);

    const claims = await env.db.selectFrom('claims').select(['id', 'text', 'status', 'workflow_id', 'start_offset', 'end_offset', 'fingerprint', 'checks']).where('article_id', '=', article.id).orderBy('start_offset').execute();
    for (const c of claims) expect(c.text).toBe(text.slice(c.start_offset!, c.end_offset!));
    const worthy = claims.filter((c) => intake.claimIds.includes(c.id));
    const below = claims.filter((c) => !intake.claimIds.includes(c.id));
    expect(below.length).toBeGreaterThan(0);
    for (const c of below) {
      expect(c.status).toBe('extracted');
      expect(c.workflow_id).toBeNull();
    }
    for (const c of worthy) expect(c.workflow_id).toBe(claimWorkflowId(c.id));
    const pay = worthy.find((c) => c.text.includes('£680'));
    expect(pay?.fingerprint).toBe('average weekly pay grew from 680 to 712 a rise of 6.5 per cent');
    expect(pay?.checks).toEqual([expect.objectContaining({ status: 'inconsistent' })]);

    for (const c of worthy) await waitForTask(env.db, c.id, 'review');
    for (const c of worthy) expect(await claimStatus(env.db, c.id)).toBe('awaiting_review');

    // Submitting the same article again starts nothing new; nor does re-running the intake itself.
    expect(await flows.startArticleIntake(article.id)).toEqual({ workflowId });
    const rerun = await env.client.workflow.execute('articleIntakeWorkflow', { taskQueue, workflowId: `${workflowId}-rerun`, args: [{ articleId: article.id }] });
    expect(rerun).toEqual({ articleId: article.id, claimIds: intake.claimIds, started: [] });
    const after = await env.db.selectFrom('claims').select('id').where('article_id', '=', article.id).execute();
    expect(after).toHaveLength(claims.length);
    for (const c of worthy) expect(await tasksOf(env.db, c.id)).toHaveLength(1);

    // The first claim all the way to a verdict, checking the read model at each step.
    const claimId = worthy[0]!.id;
    const review = await waitForTask(env.db, claimId, 'review');
    expect((await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice })).status).toBe('in_review');
    expect(await claimStatus(env.db, claimId)).toBe('in_review');
    expect((await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict })).status).toBe('awaiting_approval');
    const approval = await waitForTask(env.db, claimId, 'approval');
    expect(await claimStatus(env.db, claimId)).toBe('awaiting_approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: erin });
    const done = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
    expect(done.status).toBe('verdict_recorded');
    expect(await claimStatus(env.db, claimId)).toBe('verdict_recorded');
    const types = await eventTypes(env.db, claimId);
    expect(types[0]).toBe('extracted');
    expect(types.slice(-5)).toEqual(['review_opened', 'task_claimed', 'verdict_proposed', 'task_claimed', 'verdict_recorded']);
    await eventually('claim workflow completion', async () => (await env.client.workflow.getHandle(claimWorkflowId(claimId)).describe()).status.name === 'COMPLETED');

    for (const c of worthy.slice(1)) await flows.act(c.id, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });
});
