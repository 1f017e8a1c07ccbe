import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from '../../src/domain/review.ts';
import { TaskActionError } from '../../src/domain/review.ts';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { EVENTS_CHANNEL, type ClaimNotification } from '../../db/repositories/events.ts';
import type { TestEnv } from '../support/env.ts';
import { ada, alice, eventTypes, erin, fred, insertClaim, sampleVerdict, tasksOf, waitForTask, useWorkflowWorker } from './support.ts';

describe('claim verification workflow: review policy variants and live notifications', () => {
  let env: TestEnv;
  const taskQueue = useWorkflowWorker('claim-policy', (ready) => {
    ({ env } = ready);
  });
  const flowsWith = (policy: ReviewPolicy): ClaimWorkflows => createClaimWorkflows(env.client, { taskQueue, policy });

  it('needs two distinct approvers when the policy says so, neither of them the reviewer', async () => {
    const flows = flowsWith({ ...DEFAULT_REVIEW_POLICY, approvers: 2 });
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
    const first = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: first.id, actor: erin });
    const afterFirst = await flows.act(claimId, { type: 'approve', taskId: first.id, actor: erin });
    expect(afterFirst.status).toBe('awaiting_approval');
    const second = await waitForTask(env.db, claimId, 'approval');
    expect(second.id).not.toBe(first.id);
    const again = await flows.act(claimId, { type: 'claim', taskId: second.id, actor: erin }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(TaskActionError);
    expect(again).toMatchObject({ code: 'forbidden' });
    await flows.act(claimId, { type: 'claim', taskId: second.id, actor: fred });
    const done = await flows.act(claimId, { type: 'approve', taskId: second.id, actor: fred });
    expect(done.status).toBe('verdict_recorded');
    const verdict = await env.db.selectFrom('verdicts').select(['approver', 'reviewer']).where('claim_id', '=', claimId).executeTakeFirstOrThrow();
    expect(verdict).toEqual({ approver: 'erin, fred', reviewer: 'alice' });
    expect((await tasksOf(env.db, claimId)).map((t) => t.kind)).toEqual(['review', 'approval', 'approval']);
  });

  it('records a verdict straight from review when its rating needs no approval', async () => {
    const flows = flowsWith({ ...DEFAULT_REVIEW_POLICY, approvalRequiredFor: ['false', 'mostly_false', 'misleading'] });
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: ada });
    const done = await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: ada, verdict: { ...sampleVerdict, rating: 'true' } });
    expect(done).toMatchObject({ status: 'verdict_recorded', taskId: review.id });
    expect(done.verdictId).not.toBeNull();
    const verdict = await env.db.selectFrom('verdicts').select(['id', 'approver', 'reviewer', 'rating']).where('claim_id', '=', claimId).executeTakeFirstOrThrow();
    expect(verdict).toEqual({ id: done.verdictId, approver: null, reviewer: 'ada', rating: 'true' });
    expect((await eventTypes(env.db, claimId)).slice(-2)).toEqual(['task_claimed', 'verdict_recorded']);
  });

  it('notifies listeners on claimdesk_events in the same transaction as each transition', async () => {
    const listener = new pg.Client({ connectionString: env.databaseUrl });
    await listener.connect();
    const seen: ClaimNotification[] = [];
    listener.on('notification', (msg) => {
      if (msg.channel === EVENTS_CHANNEL && msg.payload) seen.push(JSON.parse(msg.payload) as ClaimNotification);
    });
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
    try {
      const flows = flowsWith(DEFAULT_REVIEW_POLICY);
      const claimId = await insertClaim(env.db);
      await flows.startClaim(claimId);
      const review = await waitForTask(env.db, claimId, 'review');
      await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
      // NOTIFY is delivered at commit; the update returns after the commit, so a round trip on the listener suffices.
      await listener.query('SELECT 1');
      const mine = seen.filter((n) => n.claimId === claimId);
      expect(mine.map((n) => n.type)).toEqual(['research_started', 'review_opened', 'task_claimed']);
      expect(mine.at(-1)).toEqual({ claimId, taskId: review.id, type: 'task_claimed', status: 'in_review' });
      await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
    } finally {
      await listener.end();
    }
  });
});
