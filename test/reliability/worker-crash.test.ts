import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { openTestEnv, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import { insertClaim } from '../workflows/support.ts';
import { Bots, WORKER_SCRIPT, countOneRoundRows, reliabilityScale, seededRandom, sleep, spawnService, writeFigures, type ServiceProcess } from './support.ts';

const scale = reliabilityScale();

describe(`reliability: ${scale.claimsInFlight} claims in flight, the worker process SIGKILLed ${scale.workerKills} times`, () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  const taskQueue = uniqueTaskQueue('faults-worker');
  const workers: ServiceProcess[] = [];
  const startWorker = async () => {
    const w = await spawnService(WORKER_SCRIPT, [env.temporalAddress, env.databaseUrl, taskQueue, inject('workflowBundlePath')], 'worker ready');
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    env = await openTestEnv();
    flows = createClaimWorkflows(env.client, { taskQueue });
  });
  afterAll(async () => {
    for (const w of workers) await w.kill();
    await env?.close();
  });

  it('brings every claim to its verdict with no task, event, evidence or verdict row lost or doubled', { timeout: scale.name === 'full' ? 1_800_000 : 600_000 }, async () => {
    const seed = Date.now() % 100_000;
    const random = seededRandom(seed);
    let worker = await startWorker();
    const claimIds: string[] = [];
    for (let i = 0; i < scale.claimsInFlight; i++) claimIds.push(await insertClaim(env.db));
    await Promise.all(claimIds.map((id) => flows.startClaim(id)));

    const bots = new Bots(env.db, flows, claimIds, 16);
    const botsDone = bots.run();
    const killedAt: { afterMs: number; approved: number }[] = [];
    for (let k = 0; k < scale.workerKills; k++) {
      // A random moment while the claims are still moving, each kill later in the run than the one before: once a
      // random share of the claims within the kill's band has its verdict, plus a random fraction of a second.
      const threshold = Math.floor((claimIds.length * (k + random())) / (scale.workerKills + 1));
      while (bots.approved < threshold) await sleep(100);
      // Then a random fraction of a second, cut short at the band's upper edge: on a fast machine the last claims
      // could otherwise all finish within it, and the kill would hit a worker with nothing left to do.
      const bandEnd = Math.floor((claimIds.length * (k + 1)) / (scale.workerKills + 1));
      const afterMs = Math.round(200 + random() * 1500);
      const waitUntil = Date.now() + afterMs;
      while (Date.now() < waitUntil && bots.approved < bandEnd) await sleep(20);
      killedAt.push({ afterMs: afterMs - Math.max(0, waitUntil - Date.now()), approved: bots.approved });
      expect(bots.approved, `kill ${k + 1} (seed ${seed}) came after every claim was done`).toBeLessThan(claimIds.length);
      await worker.kill();
      expect((await worker.exited).signal).toBe('SIGKILL');
      worker = await startWorker();
    }

    // Long enough for the full size on a busy machine; a claim still not done by then is wedged.
    const deadline = sleep(scale.name === 'full' ? 1_500_000 : 420_000).then(() => 'deadline' as const);
    const outcome = await Promise.race([botsDone.then(() => 'done' as const), deadline]);
    bots.stop();
    if (outcome === 'deadline') {
      const stuck = await env.db.selectFrom('claims').select(['id', 'status']).where('id', 'in', claimIds).where('status', '!=', 'verdict_recorded').execute();
      throw new Error(`claims wedged (seed ${seed}): ${stuck.map((c) => `${c.id}:${c.status}`).slice(0, 20).join(', ')}`);
    }
    const results = await Promise.all(claimIds.map((id) => env.client.workflow.getHandle(claimWorkflowId(id)).result() as Promise<{ status: string; version: number }>));
    expect(results.every((r) => r.status === 'verdict_recorded' && r.version === 1)).toBe(true);

    const rows = await countOneRoundRows(env.db, claimIds);
    expect(rows.problems).toEqual([]);
    expect(rows.lost).toBe(0);
    expect(rows.doubled).toBe(0);

    // The kills landed mid-flight: some workflow task timed out on a dead worker, or some activity ran again.
    let interrupted = 0;
    for (const id of claimIds) {
      const history = await env.client.workflow.getHandle(claimWorkflowId(id)).fetchHistory();
      for (const e of history.events ?? []) {
        if (e.workflowTaskTimedOutEventAttributes || (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1) interrupted += 1;
      }
    }
    expect(interrupted).toBeGreaterThan(0);

    writeFigures('worker-crash', {
      claimsInFlight: claimIds.length,
      killsSurvived: killedAt.length,
      outagesSurvived: 0,
      retriesSent: bots.retries,
      rowsLost: rows.lost,
      rowsDoubled: rows.doubled,
      rowsCounted: rows.rows,
      interruptedSteps: interrupted,
      seed,
      killedAt,
    });
  });
});
