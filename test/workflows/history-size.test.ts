import { describe, expect, it } from 'vitest';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import type { TestEnv } from '../support/env.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { alice, erin, insertClaim, sampleVerdict, useWorkflowWorker, waitForTask } from './support.ts';

// History per claim is what the Temporal server stores and replays: B1 (bench/workflow-overhead.bench.ts) measures
// its cost. These pin the cuts: read-model writes are local activities (a marker each, no activity events) and the
// three evidence lookups are scheduled together in one workflow task.
describe('claim workflow history size', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  useWorkflowWorker('history-size', (ready) => ({ env, flows } = ready));

  it('a happy-path claim takes at most 80 events (main: 106), its writes are markers and its research one workflow task', async () => {
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
    console.log(`[history] happy-path claim after the cuts: ${events.length} events (main: 106)`);
    expect(events.length).toBeLessThanOrEqual(80);

    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    expect(scheduled.sort()).toEqual(['matchPriorVerdicts', 'searchFactChecks', 'searchLibrary']);
    // The three lookups follow one another with no workflow task between them.
    const positions = events.flatMap((e, i) => (e.activityTaskScheduledEventAttributes ? [i] : []));
    expect(positions).toEqual([positions[0], (positions[0] ?? 0) + 1, (positions[0] ?? 0) + 2]);
    expect(events.filter((e) => e.markerRecordedEventAttributes).length).toBeGreaterThanOrEqual(7);
  });
});
