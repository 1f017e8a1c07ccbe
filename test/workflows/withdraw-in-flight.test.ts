import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACTIVITY_SETTINGS } from '../../activities/deps.ts';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/services/claim-workflows.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { openTestEnv, startTestWorker, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import { claimStatus, erin, eventTypes, eventually, insertClaim, tasksOf } from './support.ts';

// A fact-check provider on loopback that is down: each request is held a moment, then answered 503, so the
// evidence step keeps retrying with backoff. A withdrawal arrives while that activity is in flight.
describe('claim verification workflow: withdraw during an in-flight evidence activity', () => {
  let env: TestEnv;
  let stopWorker: () => Promise<void>;
  let flows: ClaimWorkflows;
  let server: Server;
  let hits = 0;
  const taskQueue = uniqueTaskQueue('claim-withdraw-flight');

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits += 1;
      setTimeout(() => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', message: 'down for the test' } }));
      }, 1000);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1alpha1/claims:search`;
    env = await openTestEnv();
    ({ stop: stopWorker } = await startTestWorker(env, taskQueue, { settings: { ...DEFAULT_ACTIVITY_SETTINGS, factCheck: { apiKey: 'test-key', url, timeoutMs: 5000 } } }));
    flows = createClaimWorkflows(env.client, { taskQueue });
  });
  afterAll(async () => {
    await stopWorker?.();
    await env?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
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
