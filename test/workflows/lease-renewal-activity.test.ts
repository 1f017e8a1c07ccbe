import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import { createReviewActivities } from '../../activities/review.ts';
import { openTestEnv, testLogger, type TestEnv } from '../support/env.ts';
import { insertClaim } from './support.ts';

// The renewal write has no idempotency key: it must be safe to retry by construction (forward-only, holder-only).
describe('renewTaskLease activity', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await openTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('only moves a held lease forward: a late retry neither shortens a newer lease nor touches a task no longer held', async () => {
    const { renewTaskLease } = createReviewActivities({ db: env.db, log: testLogger, settings: TEST_ACTIVITY_SETTINGS });
    const claimId = await insertClaim(env.db);
    const base = Date.now();
    const task = await env.db
      .insertInto('review_tasks')
      .values({ claim_id: claimId, kind: 'review', status: 'claimed', assignee: 'alice', lease_expires_at: new Date(base + 1000), idempotency_key: `lease-test-${claimId}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    const lease = async () => (await env.db.selectFrom('review_tasks').select('lease_expires_at').where('id', '=', task.id).executeTakeFirstOrThrow()).lease_expires_at?.getTime();
    const renew = (holder: string, at: number) => renewTaskLease({ claimId, taskId: task.id, holder, leaseExpiresAt: at, status: 'in_review' });

    expect(await renew('alice', base + 5000)).toEqual({ applied: true });
    expect(await lease()).toBe(base + 5000);
    // The same attempt again, and an older attempt arriving late: no change.
    expect(await renew('alice', base + 5000)).toEqual({ applied: false });
    expect(await renew('alice', base + 3000)).toEqual({ applied: false });
    expect(await lease()).toBe(base + 5000);
    // Not the holder.
    expect(await renew('bob', base + 9000)).toEqual({ applied: false });
    // Released back to the queue: a late renewal does not resurrect a lease.
    await env.db.updateTable('review_tasks').set({ status: 'open', assignee: null, lease_expires_at: null }).where('id', '=', task.id).execute();
    expect(await renew('alice', base + 9000)).toEqual({ applied: false });
    expect(await lease()).toBeUndefined();
  });
});
