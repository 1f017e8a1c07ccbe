import { describe, expect, it } from 'vitest';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import type { TestEnv } from '../support/env.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { alice, erin, insertClaim, sampleVerdict, useWorkflowWorker, waitForTask } from './support.ts';

// History per claim is what the Temporal server stores and replays: B1 (bench/workflow-overhead.bench.ts) measures
// its cost. This pins the cuts: the intake's writes (start, checks, opening the review) and its two lookups in
// claimdesk's Postgres are local activities, and one patch marker stands for every path: 112 events down to 83, two
// workflow tasks from start to review. (All read-model writes as local activities cut it to 69-75, but under fifty
// concurrent Updates the SDK's core refused some; see claim-verification.workflow.ts.)
describe('claim workflow history size', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  useWorkflowWorker('history-size', (ready) => ({ env, flows } = ready));

  it('a happy-path claim takes at most 85 events (main: 106), one patch marker, and its intake is two workflow tasks with one activity', async () => {
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
    expect(events.length).toBeLessThanOrEqual(85);

    // Before the review opens, the only activity the server schedules is the outside fact-check lookup: the run's
    // start, the two lookups in claimdesk's Postgres, the checks and the opening of the review are markers.
    const names = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? null);
    const firstUpdate = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(firstUpdate).toBeGreaterThan(0);
    const intake = events.slice(0, firstUpdate);
    expect(intake.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []))).toEqual(['searchFactChecks']);
    for (const gone of ['beginRun', 'runAutomatedChecks', 'matchPriorVerdicts', 'searchLibrary']) expect(names).not.toContain(gone);
    // beginRun, the two lookups, the checks, the task id and the review's write.
    expect(intake.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length).toBeGreaterThanOrEqual(6);
    // Two workflow tasks from the start to the review: the start's, and the one the fact-check lookup's answer wakes.
    // (The third in this slice is the first Update's.)
    expect(intake.filter((e) => e.workflowTaskCompletedEventAttributes).length).toBeLessThanOrEqual(3);
    // One patch marker, however many paths it stands for (each patched() that answers true also upserts a search
    // attribute on the server).
    expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(1);
  });
});
