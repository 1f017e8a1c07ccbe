import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { DEFAULT_REVIEW_POLICY } from '../../src/domain/review.ts';
import { outboundTaskQueue } from '../../src/domain/task-queues.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { alice, erin, eventually, insertClaim, sampleVerdict, waitForTask, useWorkflowWorker } from './support.ts';

// A fact-check service that never answers lookups about Zanzibar, and answers every other one at once.
const hanging: ServerResponse[] = [];
function factCheckService(req: IncomingMessage, res: ServerResponse): void {
  if (decodeURIComponent(req.url ?? '').toLowerCase().includes('zanzibar')) {
    hanging.push(res);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ claims: [] }));
}

const SLOTS = 3;

describe('outbound HTTP runs on its own task queue', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  const taskQueue = useWorkflowWorker(
    'claim-outbound',
    (ready) => {
      ({ env, flows } = ready);
    },
    // Few slots on both workers: were lookups on the main queue, the hanging ones would take every slot the writes need.
    { policy: { ...DEFAULT_REVIEW_POLICY, approvalRequiredFor: [] }, factCheckServer: { handler: factCheckService, timeoutMs: 120_000 }, slots: { maxConcurrentActivityTaskExecutions: SLOTS, maxConcurrentOutboundActivities: SLOTS } },
  );

  it('records a verdict while hanging fact-check lookups fill every outbound slot', async () => {
    const ready = await insertClaim(env.db);
    await flows.startClaim(ready);
    const review = await waitForTask(env.db, ready, 'review');

    const stalled: string[] = [];
    for (let i = 0; i < SLOTS * 2; i++) {
      const claimId = await insertClaim(env.db, `Zanzibar exported 4000 tonnes of cloves in ${2000 + i}, up from 3000 tonnes, a rise of 33%.`);
      await flows.startClaim(claimId);
      stalled.push(claimId);
    }
    // Every outbound slot is held by a lookup that will not come back.
    await eventually('outbound slots full of hanging lookups', async () => hanging.length >= SLOTS);

    await flows.act(ready, { type: 'claim', taskId: review.id, actor: alice });
    const done = await flows.act(ready, { type: 'submitVerdict', taskId: review.id, actor: alice, verdict: sampleVerdict });
    expect(done.status).toBe('verdict_recorded');
    // Recorded while the outside service still held every lookup it was sent: none had been answered.
    expect(hanging.every((res) => !res.writableEnded)).toBe(true);
    expect((await env.client.workflow.getHandle(claimWorkflowId(ready)).result()).status).toBe('verdict_recorded');

    // The lookups were scheduled on the outbound queue.
    const history = await env.client.workflow.getHandle(claimWorkflowId(stalled[0]!)).fetchHistory();
    const lookup = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'searchFactChecks');
    expect(lookup?.activityTaskScheduledEventAttributes?.taskQueue?.name).toBe(outboundTaskQueue(taskQueue));

    for (const claimId of stalled) await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'test cleanup' });
    for (const res of hanging) res.destroy();
  });
});
