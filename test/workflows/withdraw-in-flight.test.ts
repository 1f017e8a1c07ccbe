import { describe, expect, it } from 'vitest';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import type { TestEnv } from '../support/env.ts';
import { claimStatus, erin, eventTypes, eventually, insertClaim, tasksOf, useWorkflowWorker } from './support.ts';

// A fact-check provider on loopback that is down: each request is held a moment, then answered 503, so the
// evidence step keeps retrying with backoff. A withdrawal arrives while that activity is in flight.
describe('claim verification workflow: withdraw during an in-flight evidence activity', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  let hits = 0;

  useWorkflowWorker('claim-withdraw-flight', (ready) => ({ env, flows } = ready), {
    factCheckServer: {
      timeoutMs: 5000,
      handler: (_req, res) => {
        hits += 1;
        setTimeout(() => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', message: 'down for the test' } }));
        }, 1000);
      },
    },
  });

  it('ends the workflow at once, opens no task and writes nothing after the withdrawal', async () => {
    const claimId = await insertClaim(env.db);
    await flows.startClaim(claimId);
    // The fact-check step is running (the provider has been asked at least once).
    await eventually('fact-check request', async () => hits > 0);
    const withdrawn = await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'story spiked' });
    expect(withdrawn.status).toBe('withdrawn');

    const result = await env.client.workflow.getHandle(claimWorkflowId(claimId)).result();
    expect(result).toMatchObject({ status: 'withdrawn', verdictId: null });
    // The provider's failure after the withdrawal is not recorded as the claim's latest event, nor retried to exhaustion.
    const types = await eventTypes(env.db, claimId);
    expect(types.at(-1)).toBe('withdrawn');
    expect(types).not.toContain('evidence_provider_failed');
    expect(await claimStatus(env.db, claimId)).toBe('withdrawn');
    expect(await tasksOf(env.db, claimId)).toEqual([]);
    const history = await env.client.workflow.getHandle(claimWorkflowId(claimId)).fetchHistory();
    const cancelRequested = (history.events ?? []).some((e) => e.activityTaskCancelRequestedEventAttributes);
    expect(cancelRequested).toBe(true);
  });
});
