import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestEnv, startTestWorker, uniqueTaskQueue, type TestEnv } from '../support/env.ts';

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

  it('runs a workflow whose activity writes a row the test reads back', async () => {
    const claim = await env.db
      .insertInto('claims')
      .values({ text: 'Cecot holds 14,500 people.', status: 'extracted', fingerprint: 'cecot holds 14500 people' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const workflowId = `skeleton-${claim.id}`;
    const result = await env.client.workflow.execute('skeletonWorkflow', { taskQueue, workflowId, args: [claim.id] });
    expect(result).toBe('researching');

    const row = await env.db.selectFrom('claims').select(['status', 'workflow_id']).where('id', '=', claim.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'researching', workflow_id: workflowId });
    const events = await env.db.selectFrom('claim_events').select(['type', 'actor']).where('claim_id', '=', claim.id).execute();
    expect(events).toEqual([{ type: 'status_changed', actor: 'system' }]);
  });
});
