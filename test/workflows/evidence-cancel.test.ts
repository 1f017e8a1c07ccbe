import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createEvidenceActivities } from '../../activities/evidence.ts';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import type { ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { testLogger, type TestEnv } from '../support/env.ts';
import { claimStatus, erin, eventually, insertClaim, useWorkflowWorker, type WorkerReady } from './support.ts';

// A fact-check provider on loopback that answers well but slowly: each request is held DELAY_MS, then answered
// 200 with a review. Cancelling the evidence step meanwhile must abort the request and write no row for it.
const DELAY_MS = 6000;
const PAGE = {
  claims: [
    {
      text: 'Crime fell from 400 cases to 300 in the district',
      claimReview: [{ publisher: { name: 'Slow Checks' }, url: 'https://checks.example.org/crime-fell', title: 'Crime figures', textualRating: 'Mostly True', languageCode: 'en' }],
    },
  ],
};

describe('evidence activities stop when cancelled', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  let settings: WorkerReady['factCheck'];
  let hits = 0;
  let aborted = 0;
  const factCheck = () => settings;

  useWorkflowWorker(
    'evidence-cancel',
    (ready) => ({ env, flows, factCheck: settings } = ready),
    {
      factCheckServer: {
        timeoutMs: 10_000,
        handler: (_req, res) => {
          hits += 1;
          const timer = setTimeout(() => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(PAGE));
          }, DELAY_MS);
          res.on('close', () => {
            if (!res.writableEnded) {
              aborted += 1;
              clearTimeout(timer);
            }
          });
        },
      },
    },
  );

  async function factCheckRows(claimId: string): Promise<number> {
    const rows = await env.db.selectFrom('claim_evidence').select('id').where('claim_id', '=', claimId).where('found_by', 'like', 'factcheck:%').execute();
    return rows.length;
  }

  /** Waits until the lookup would have been answered (and a bit more), then counts what was written. */
  async function rowsAfterTheDelay(claimId: string, since: number): Promise<number> {
    await new Promise((r) => setTimeout(r, Math.max(0, since + DELAY_MS + 1500 - Date.now())));
    return factCheckRows(claimId);
  }

  it('the slow provider does write its review when nothing is cancelled', async () => {
    const claimId = await insertClaim(env.db);
    const activities = createEvidenceActivities({ db: env.db, log: testLogger, settings: { ...TEST_ACTIVITY_SETTINGS, factCheck: factCheck() } });
    await expect(activities.searchFactChecks({ claimId })).resolves.toEqual({ found: 1 });
    expect(await factCheckRows(claimId)).toBe(1);
  });

  it('an activity cancelled mid-lookup aborts the request and throws the cancellation', async () => {
    const claimId = await insertClaim(env.db);
    const activities = createEvidenceActivities({ db: env.db, log: testLogger, settings: { ...TEST_ACTIVITY_SETTINGS, factCheck: factCheck() } });
    const mock = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR', () => undefined) });
    const before = { hits, aborted };
    const running = mock.run(activities.searchFactChecks, { claimId }).catch((e: unknown) => e);
    await eventually('fact-check request', async () => hits > before.hits);
    const since = Date.now();
    mock.cancel();
    expect(await running).toBeInstanceOf(CancelledFailure);
    await eventually('request aborted', async () => aborted > before.aborted);
    expect(await rowsAfterTheDelay(claimId, since)).toBe(0);
  });

  it('a withdrawal during the lookup leaves no fact-check evidence behind', async () => {
    const claimId = await insertClaim(env.db);
    const before = { hits, aborted };
    await flows.startClaim(claimId);
    await eventually('fact-check request', async () => hits > before.hits);
    const since = Date.now();
    const withdrawn = await flows.act(claimId, { type: 'withdraw', actor: erin, reason: 'story spiked' });
    expect(withdrawn.status).toBe('withdrawn');
    await env.client.workflow.getHandle(claimWorkflowId(claimId)).result();
    // The cancellation reaches the activity through its heartbeats, and the HTTP request is dropped.
    await eventually('request aborted', async () => aborted > before.aborted);
    expect(await rowsAfterTheDelay(claimId, since)).toBe(0);
    expect(await claimStatus(env.db, claimId)).toBe('withdrawn');
  });

  it('a cancellation from Temporal during the lookup withdraws the claim and leaves no fact-check evidence', async () => {
    const claimId = await insertClaim(env.db);
    const before = { hits, aborted };
    await flows.startClaim(claimId);
    await eventually('fact-check request', async () => hits > before.hits);
    const since = Date.now();
    const handle = env.client.workflow.getHandle(claimWorkflowId(claimId));
    await handle.cancel();
    await handle.result().catch(() => undefined);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(await claimStatus(env.db, claimId)).toBe('withdrawn');
    await eventually('request aborted', async () => aborted > before.aborted);
    expect(await rowsAfterTheDelay(claimId, since)).toBe(0);
  });
});
