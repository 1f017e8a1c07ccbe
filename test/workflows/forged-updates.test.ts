import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ACTOR_SIGNING_KEY, signActorUpdate } from '../../src/domain/actor-signature.ts';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { TaskActionError } from '../../src/domain/review.ts';
import { claimTaskUpdate, claimWorkflowId, releaseTaskUpdate, renewLeaseUpdate, reprioritizeUpdate, withdrawUpdate } from '../../workflows/messages.ts';
import { openTestEnv, startTestWorker, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import { ada, alice, erin, eventTypes, insertClaim, sampleVerdict, tasksOf, useWorkflowWorker, waitForTask } from './support.ts';

// Issue 12: anyone with network access to Temporal could send the claim workflow an Update claiming any actor. Each
// attack below goes straight to Temporal with the SDK client (not through the API) and must be refused by the
// workflow's validator with nothing written to Postgres.
describe('forged Updates sent straight to Temporal', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  useWorkflowWorker('forged-updates', (ready) => {
    ({ env, flows } = ready);
  });

  async function refused(p: Promise<unknown>, type = 'forbidden'): Promise<{ type: string; message: string }> {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause as unknown as { type: string; message: string };
    expect(cause.type).toBe(type);
    return cause;
  }

  /** Postgres as it stands: the claim's tasks and events must be exactly this after every refused Update. */
  async function snapshot(claimId: string) {
    return { tasks: await tasksOf(env.db, claimId), events: await eventTypes(env.db, claimId) };
  }

  it('refuses unsigned, wrongly signed, replayed-elsewhere and escalated Updates, and writes nothing', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    const workflowId = claimWorkflowId(claimId);
    const handle = env.client.workflow.getHandle(workflowId);
    const before = await snapshot(claimId);

    // 1. No signature at all: the pre-issue attack, an admin claiming the task.
    const unsigned = await refused(handle.executeUpdate(claimTaskUpdate, { args: [{ taskId: review.id, actor: ada }] }));
    expect(unsigned.message).toContain('no actor signature');

    // 2. A signature made with a key the worker does not hold.
    const args = { taskId: review.id, actor: alice };
    const wrongKey = { ...args, signature: signActorUpdate('attacker-guess-'.repeat(4), claimTaskUpdate.name, workflowId, args, Date.now()) };
    expect((await refused(handle.executeUpdate(claimTaskUpdate, { args: [wrongKey] }))).message).toContain('does not verify');

    // 3. A valid signature (as the API would make) with the role escalated afterwards.
    const signed = { ...args, signature: signActorUpdate(DEV_ACTOR_SIGNING_KEY, claimTaskUpdate.name, workflowId, args, Date.now()) };
    await refused(handle.executeUpdate(claimTaskUpdate, { args: [{ ...signed, actor: { name: 'alice', role: 'admin' } }] }));
    // ... or the name swapped.
    await refused(handle.executeUpdate(claimTaskUpdate, { args: [{ ...signed, actor: erin }] }));
    // 4. The same valid signature replayed for another task, another action, another claim.
    // (A task id the claim does not have is refused by the state checks, which run first, before the signature's.)
    await refused(handle.executeUpdate(claimTaskUpdate, { args: [{ ...signed, taskId: String(Number(review.id) + 1000) }] }), 'not_found');
    const otherClaim = await insertClaim(env.db);
    await flows.startClaim(otherClaim);
    const otherReview = await waitForTask(env.db, otherClaim, 'review');
    const otherHandle = env.client.workflow.getHandle(claimWorkflowId(otherClaim));
    await refused(otherHandle.executeUpdate(claimTaskUpdate, { args: [{ ...signed, taskId: otherReview.id }] }));
    // 5. A signature too old to be fresh (a captured request replayed much later).
    const stale = { ...args, signature: signActorUpdate(DEV_ACTOR_SIGNING_KEY, claimTaskUpdate.name, workflowId, args, Date.now() - 60 * 60_000) };
    expect((await refused(handle.executeUpdate(claimTaskUpdate, { args: [stale] }))).message).toContain('too old');
    // 6. Updates that carry no task: withdrawing or reprioritizing as an admin, unsigned.
    await refused(handle.executeUpdate(withdrawUpdate, { args: [{ actor: ada, reason: 'forged' }] }));
    await refused(handle.executeUpdate(reprioritizeUpdate, { args: [{ actor: ada, priority: 'urgent' }] }));

    expect(await snapshot(claimId)).toEqual(before);
    expect((await handle.query('claimState')) as { status: string }).toMatchObject({ status: 'awaiting_review' });

    // The genuine signature, untouched, is accepted: the check refuses forgeries, not the API.
    const accepted = await handle.executeUpdate(claimTaskUpdate, { args: [signed] });
    expect(accepted.status).toBe('in_review');
    // 7. Alice's genuine claim signature replayed as another action the state would allow now (release, approve).
    const held = await snapshot(claimId);
    expect((await refused(handle.executeUpdate(releaseTaskUpdate, { args: [signed] }))).message).toContain('does not verify');
    await refused(handle.executeUpdate(renewLeaseUpdate, { args: [signed] }));
    expect(await snapshot(claimId)).toEqual(held);
    expect(held.tasks[0]).toMatchObject({ status: 'claimed', assignee: 'alice' });
    // And the normal path through the claims client keeps working end to end.
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
    expect((await tasksOf(env.db, claimId)).map((t) => t.kind)).toEqual(['review', 'approval']);
  });
});

describe('actor signing keys: per worker, rotated without downtime', () => {
  const rotatedKey = `rotated-${'r'.repeat(40)}`;
  let env: TestEnv;
  let stop: () => Promise<void>;
  const taskQueue = uniqueTaskQueue('rotation');
  beforeAll(async () => {
    env = await openTestEnv();
    // This worker's bundle gets the new key and still accepts the old (development) one: API processes that have not
    // restarted yet keep working during the rotation.
    ({ stop } = await startTestWorker(env, taskQueue, {}, { actorSigningKeys: { current: rotatedKey, previous: [DEV_ACTOR_SIGNING_KEY] } }));
  });
  afterAll(async () => {
    await stop();
    await env.close();
  });

  it('accepts the current and the previous key, refuses any other', async () => {
    const claimId = await insertClaim(env.db);
    const rotated = createClaimWorkflows(env.client, { taskQueue, actorSigningKey: rotatedKey });
    const old = createClaimWorkflows(env.client, { taskQueue });
    const stranger = createClaimWorkflows(env.client, { taskQueue, actorSigningKey: `stranger-${'s'.repeat(40)}` });
    await rotated.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    const refused = await stranger.act(claimId, { type: 'claim', taskId: review.id, actor: alice }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TaskActionError);
    expect((refused as TaskActionError).code).toBe('forbidden');
    expect((await tasksOf(env.db, claimId))[0]).toMatchObject({ status: 'open', assignee: null });
    await old.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    await rotated.act(claimId, { type: 'release', taskId: review.id, actor: alice });
    expect((await tasksOf(env.db, claimId))[0]).toMatchObject({ status: 'open', assignee: null });
  });
});
