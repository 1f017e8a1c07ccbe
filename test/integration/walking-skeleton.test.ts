import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimFingerprint } from '../../src/domain/fingerprint.ts';
import { createClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { openTestEnv, startTestWorker, uniqueTaskQueue, type TestEnv } from '../support/env.ts';

// The thinnest path through the real stack: the Temporal client the API uses → the dev server → a worker
// → activities writing Postgres → the row read back.
describe('walking skeleton: client → Temporal → worker → Postgres', () => {
  let env: TestEnv;
  let stopWorker: () => Promise<void>;
  const taskQueue = uniqueTaskQueue('skeleton');

  beforeAll(async () => {
    env = await openTestEnv();
    ({ stop: stopWorker } = await startTestWorker(env, taskQueue));
  });
  afterAll(async () => {
    await stopWorker?.();
    await env?.close();
  });

  it('a submitted claim reaches the review queue, written by the workflow', async () => {
    const text = `Cecot held 14,500 people in August, 36 per cent of its capacity of 40,000 (${Date.now()}).`;
    const claim = await env.db.insertInto('claims').values({ text, status: 'researching', fingerprint: claimFingerprint(text) }).returning('id').executeTakeFirstOrThrow();
    const { workflowId } = await createClaimWorkflows(env.client, { taskQueue }).startClaim(claim.id);
    expect(workflowId).toBe(`claim-${claim.id}`);

    const deadline = Date.now() + 30_000;
    let row = await env.db.selectFrom('claims').select(['status', 'workflow_id']).where('id', '=', claim.id).executeTakeFirstOrThrow();
    while (row.status !== 'awaiting_review' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      row = await env.db.selectFrom('claims').select(['status', 'workflow_id']).where('id', '=', claim.id).executeTakeFirstOrThrow();
    }
    expect(row).toEqual({ status: 'awaiting_review', workflow_id: workflowId });
    const tasks = await env.db.selectFrom('review_tasks').select(['kind', 'status']).where('claim_id', '=', claim.id).execute();
    expect(tasks).toEqual([{ kind: 'review', status: 'open' }]);
    const events = await env.db.selectFrom('claim_events').select('type').where('claim_id', '=', claim.id).execute();
    expect(events.length).toBeGreaterThan(0);
  });
});
