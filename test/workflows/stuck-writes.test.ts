import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_POLICY, TaskActionError, type Actor, type ReviewPolicy } from '../../src/domain/review.ts';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { claimStuckKey } from '../../src/domain/search-attributes.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { alice, erin, eventTypes, eventsOf, eventually, insertClaim, sampleVerdict, tasksOf, waitForTask, useWorkflowWorker } from './support.ts';

// Schema drift made real: each test adds a constraint to this file's own database that refuses one of the claim's
// writes for good (SQLSTATE 23514), as a migration shipped ahead of the code would, then repairs it by dropping it.

// A short lease for the timer test only: elsewhere a lease expiring under a slow machine would release the task.
const shortLease: ReviewPolicy = { ...DEFAULT_REVIEW_POLICY, leaseMs: 1500 };

async function stuckRow(env: TestEnv, claimId: string) {
  return env.db.selectFrom('stuck_claims').select(['step', 'reason', 'workflow_id']).where('claim_id', '=', claimId).executeTakeFirst();
}

describe('claim verification workflow: a write the read model refuses for good', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  const taskQueue = useWorkflowWorker('claim-stuck', (ready) => {
    ({ env, flows } = ready);
  });

  it('fails the Update at once as "stuck", keeps the claim as it was, marks it stuck, and moves on once repaired', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    const summary = `Drifted ${claimId}: this summary is refused by the verdicts table.`;
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: { ...sampleVerdict, summary } });
    const approval = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: erin });

    const constraint = `drift_${claimId}`;
    await sql`ALTER TABLE verdicts ADD CONSTRAINT ${sql.id(constraint)} CHECK (summary <> ${sql.lit(summary)})`.execute(env.db);
    try {
      const refused = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TaskActionError);
      expect(refused).toMatchObject({ code: 'stuck' });
      expect((refused as Error).message).not.toContain(constraint);

      // Nothing changed: not in the workflow's state, not in Postgres (the transaction rolled back).
      const live = await flows.liveState(claimId);
      expect(live).toMatchObject({ stage: 'approval', status: 'awaiting_approval', verdictId: null, stuck: { step: `verdict-${approval.id}` } });
      expect(live.tasks.find((t) => t.id === approval.id)).toMatchObject({ status: 'claimed', assignee: 'erin' });
      expect((await tasksOf(env.db, claimId)).find((t) => t.id === approval.id)).toMatchObject({ status: 'claimed', assignee: 'erin' });
      expect(await env.db.selectFrom('verdicts').select('id').where('claim_id', '=', claimId).execute()).toEqual([]);
      // Marked stuck: a row for the dashboard, an event, a search attribute.
      expect(await stuckRow(env, claimId)).toMatchObject({ step: `verdict-${approval.id}`, workflow_id: claimWorkflowId(claimId) });
      expect((await stuckRow(env, claimId))?.reason).toContain('23514');
      expect((await eventsOf(env.db, claimId)).filter((e) => e.type === 'claim_stuck')).toEqual([
        expect.objectContaining({ actor: 'system', payload: expect.objectContaining({ step: `verdict-${approval.id}` }) }),
      ]);
      const handle = env.client.workflow.getHandle(claimWorkflowId(claimId));
      expect((await handle.describe()).searchAttributes).toMatchObject({ ClaimStuck: [`verdict-${approval.id}`] });

      // Not wedged: the next Update is answered (a lease renewal writes nothing the constraint refuses).
      await flows.act(claimId, { type: 'renewLease', taskId: approval.id, actor: erin });
      // The same refusal again is answered again, at once, and adds no second event.
      await expect(flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin })).rejects.toMatchObject({ code: 'stuck' });
      expect((await eventTypes(env.db, claimId)).filter((t) => t === 'claim_stuck')).toHaveLength(1);
      expect((await handle.describe()).status.name).toBe('RUNNING');
    } finally {
      await sql`ALTER TABLE verdicts DROP CONSTRAINT IF EXISTS ${sql.id(constraint)}`.execute(env.db);
    }

    // Repaired: the same approval now records the verdict, and the claim is no longer stuck.
    const done = await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
    expect(done).toMatchObject({ status: 'verdict_recorded', verdictId: expect.any(String) });
    expect(await stuckRow(env, claimId)).toBeUndefined();
    const handle = env.client.workflow.getHandle(claimWorkflowId(claimId));
    expect(await handle.result()).toMatchObject({ status: 'verdict_recorded', version: 1 });
    expect((await handle.describe()).typedSearchAttributes.get(claimStuckKey)).toBeFalsy();
  });

  it('a refused write in the timer path marks the claim stuck without failing the workflow, and backs off', async () => {
    const claimId = await insertClaim(env.db);
    // The lease expiry of this one reviewer is what the drifted schema refuses.
    const mallory: Actor = { name: `mallory-${claimId}`, role: 'fact_checker' };
    const constraint = `drift_lease_${claimId}`;
    await sql`ALTER TABLE claim_events ADD CONSTRAINT ${sql.id(constraint)} CHECK (NOT (type = 'lease_expired' AND payload->>'previousAssignee' = ${sql.lit(mallory.name)}))`.execute(env.db);
    const handle = env.client.workflow.getHandle(claimWorkflowId(claimId));
    const flows = createClaimWorkflows(env.client, { taskQueue, db: env.db, policy: shortLease });
    try {
      await flows.startClaim(claimId);
      const review = await waitForTask(env.db, claimId, 'review');
      await flows.act(claimId, { type: 'claim', taskId: review.id, actor: mallory });
      const stuck = await eventually('stuck mark from the lease timer', () => stuckRow(env, claimId));
      expect(stuck.step).toBe(`lease-expired-${review.id}`);
      // The workflow is running, its state unchanged (the task is still held), and it keeps answering Updates.
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect((await flows.liveState(claimId)).tasks[0]).toMatchObject({ id: review.id, status: 'claimed', assignee: mallory.name });
      // It retries with a growing delay, not in a tight loop: a few seconds bring a handful of attempts at most.
      await new Promise((r) => setTimeout(r, 3000));
      const attempts = (await handle.fetchHistory()).events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyTransition').length ?? 0;
      expect(attempts).toBeLessThan(12);
      const released = await flows.act(claimId, { type: 'release', taskId: review.id, actor: mallory });
      expect(released.status).toBe('awaiting_review');
      expect(await stuckRow(env, claimId)).toBeUndefined();
      expect((await flows.liveState(claimId)).stuck).toBeNull();
    } finally {
      await sql`ALTER TABLE claim_events DROP CONSTRAINT IF EXISTS ${sql.id(constraint)}`.execute(env.db);
    }
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
    expect(await handle.result()).toMatchObject({ status: 'withdrawn' });
  });

  it('an Update that outlives the deadline answers "timeout", and a retry with the same key gets the real result', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    const impatient = createClaimWorkflows(env.client, { taskQueue, db: env.db, updateDeadlineMs: 1000 });
    const key = `retry-${claimId}`;
    // Another transaction holds the task's row: the claim's write waits for it, longer than the caller will.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = env.db.transaction().execute(async (trx) => {
      await sql`SELECT id FROM review_tasks WHERE id = ${review.id} FOR UPDATE`.execute(trx);
      locked();
      await held;
    });
    await isLocked;
    const late = await impatient.act(claimId, { type: 'claim', taskId: review.id, actor: alice }, { idempotencyKey: key }).catch((e: unknown) => e);
    release();
    await holder;
    expect(late).toMatchObject({ code: 'timeout' });
    const again = await impatient.act(claimId, { type: 'claim', taskId: review.id, actor: alice }, { idempotencyKey: key });
    expect(again).toMatchObject({ status: 'in_review', taskId: review.id });
    expect((await eventTypes(env.db, claimId)).filter((t) => t === 'task_claimed')).toHaveLength(1);
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
  });

  it('a start the read model refuses for good marks the claim stuck instead of failing the workflow, and goes on once repaired', async () => {
    const claimId = await insertClaim(env.db);
    const constraint = `drift_begin_${claimId}`;
    await sql`ALTER TABLE claim_events ADD CONSTRAINT ${sql.id(constraint)} CHECK (NOT (claim_id = ${sql.lit(Number(claimId))} AND type = 'research_started'))`.execute(env.db);
    try {
      await flows.startClaim(claimId);
      await eventually('the stuck mark of the start', async () => (await stuckRow(env, claimId))?.step === 'begin');
      const handle = env.client.workflow.getHandle(claimWorkflowId(claimId));
      const description = await handle.describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.searchAttributes).toMatchObject({ ClaimStuck: ['begin'] });
      expect(await tasksOf(env.db, claimId)).toEqual([]);
    } finally {
      await sql`ALTER TABLE claim_events DROP CONSTRAINT ${sql.id(constraint)}`.execute(env.db);
    }
    // Repaired: the retry (backing off 1 s, 2 s, 4 s…) begins the run, and the claim goes on to review.
    const review = await waitForTask(env.db, claimId, 'review');
    expect(await stuckRow(env, claimId)).toBeUndefined();
    expect((await eventTypes(env.db, claimId)).filter((t) => t === 'research_started')).toHaveLength(1);
    expect((await env.client.workflow.getHandle(claimWorkflowId(claimId)).describe()).typedSearchAttributes.get(claimStuckKey)).toBeFalsy();
    await flows.act(claimId, { type: 'withdraw', actor: erin, reason: `test cleanup ${review.id}` });
  });

  it('a live-state query nobody answers (no worker on the claim\'s queue) is a "timeout" within the deadline, not a hang', async () => {
    const orphaned = createClaimWorkflows(env.client, { taskQueue: `${taskQueue}-nobody`, policy: DEFAULT_REVIEW_POLICY, updateDeadlineMs: 1500 });
    const claimId = await insertClaim(env.db);
    await orphaned.startClaim(claimId);
    const started = Date.now();
    const refused = await orphaned.liveState(claimId).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TaskActionError);
    expect(refused).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await env.client.workflow.getHandle(claimWorkflowId(claimId)).terminate('test cleanup');
  });
});
