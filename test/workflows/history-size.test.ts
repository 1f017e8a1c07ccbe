import { describe, expect, it } from 'vitest';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import type { TestEnv } from '../support/env.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { alice, erin, insertClaim, sampleVerdict, useWorkflowWorker, waitForTask } from './support.ts';

// History per claim is what the Temporal server stores and replays: B1 (bench/workflow-overhead.bench.ts) measures
// its cost. This pins the cuts: the three evidence lookups are scheduled together in one workflow task, and the
// intake's writes (start, checks, opening the review) are local activities, 112 events down to 99. (All read-model
// writes as local activities cut it to 69-75, but under fifty concurrent Updates the SDK's core refused some; see
// claim-verification.workflow.ts.)
describe('claim workflow history size', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  useWorkflowWorker('history-size', (ready) => ({ env, flows } = ready));

  it('a happy-path claim takes at most 100 events (main: 106), its intake writes are markers and its research one workflow task', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    const review = await waitForTask(env.db, claimId, 'review');
    await flows.act(claimId, { type: 'claim', taskId: review.id, actor: alice });
    await flows.act(claimId, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
    const approval = await waitForTask(env.db, claimId, 'approval');
    await flows.act(claimId, { type: 'claim', taskId: approval.id, actor: erin });
    await flows.act(claimId, { type: 'approve', taskId: approval.id, actor: erin });
    const handle = env.client.workflow.getHandle(claimWorkflowId(claimId));
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const lookups = new Set(['matchPriorVerdicts', 'searchFactChecks', 'searchLibrary']);
    console.log(`[history] happy-path claim after the cuts: ${events.length} events (main: 106)`);
    expect(events.length).toBeLessThanOrEqual(100);

    // The intake's writes are local activities (markers): the only activities scheduled before the review opens are
    // the three lookups, and nothing but the lookups wakes a workflow task between the start and the review.
    const names = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? null);
    const firstAfterLookups = names.findIndex((n) => n !== null && !lookups.has(n));
    expect(names.filter((n) => n === 'beginRun' || n === 'runAutomatedChecks')).toEqual([]);
    const beforeReview = events.slice(0, firstAfterLookups === -1 ? events.length : firstAfterLookups);
    expect(beforeReview.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length).toBeGreaterThanOrEqual(3);

    const isLookup = (e: (typeof events)[number]): boolean => lookups.has(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
    expect(events.filter(isLookup).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).sort()).toEqual([...lookups].sort());
    // The three lookups follow one another with no workflow task between them.
    const positions = events.flatMap((e, i) => (isLookup(e) ? [i] : []));
    expect(positions).toEqual([positions[0], (positions[0] ?? 0) + 1, (positions[0] ?? 0) + 2]);
  });
});
