import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { freePort } from '../../src/services/net.ts';
import { findTemporalBinary, startDevServer, type TemporalHandle } from '../../src/services/temporal.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { openTestEnv, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import { insertClaim } from '../workflows/support.ts';
import { Bots, WORKER_SCRIPT, countOneRoundRows, reliabilityScale, sleep, spawnService, writeFigures, type ServiceProcess } from './support.ts';

const scale = reliabilityScale();
const CLAIMS = scale.name === 'full' ? 60 : 12;
const quiet = { info: () => undefined, warn: () => undefined };

describe('reliability: the Temporal server restarted mid-flight, with persistent state', () => {
  let env: TestEnv;
  let server: TemporalHandle | null = null;
  let connection: Connection | null = null;
  let worker: ServiceProcess | null = null;
  let dir: string;
  let binary: string;
  let port: number;
  const taskQueue = uniqueTaskQueue('faults-temporal');

  const startServer = async () =>
    startDevServer({ binary, port, uiPort: null, dbFilename: path.join(dir, 'temporal.db'), logFile: null, namespace: 'default' }, quiet);

  beforeAll(async () => {
    env = await openTestEnv();
    dir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-temporal-restart-'));
    const found = await findTemporalBinary({ cliPath: inject('temporalCliPath') || undefined });
    if (!found) throw new Error('no temporal CLI: the test setup found one, so this should not happen');
    binary = found;
    port = await freePort();
    server = await startServer();
  });
  afterAll(async () => {
    await worker?.kill();
    await connection?.close();
    await server?.stop();
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('continues every workflow where it was: same runs, nothing lost or doubled', { timeout: 300_000 }, async () => {
    const address = `127.0.0.1:${port}`;
    worker = await spawnService(WORKER_SCRIPT, [address, env.databaseUrl, taskQueue, inject('workflowBundlePath')], 'worker ready');
    connection = await Connection.connect({ address });
    const flows: ClaimWorkflows = createClaimWorkflows(new Client({ connection, namespace: 'default' }), { taskQueue });
    const claimIds: string[] = [];
    for (let i = 0; i < CLAIMS; i++) claimIds.push(await insertClaim(env.db));
    const runs = new Map<string, string>();
    for (const id of claimIds) {
      await flows.startClaim(id);
      runs.set(id, (await connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: claimWorkflowId(id) } })).workflowExecutionInfo?.execution?.runId ?? '');
    }
    const bots = new Bots(env.db, flows, claimIds, 6);
    const botsDone = bots.run();
    // Restart while the claims are spread over research, review and approval.
    while (bots.approved < Math.max(2, CLAIMS / 4)) await sleep(100);
    const approvedBefore = bots.approved;
    expect(approvedBefore).toBeLessThan(CLAIMS);
    await server?.stop();
    server = null;
    await sleep(2000);
    server = await startServer();

    await botsDone;
    const client = new Client({ connection, namespace: 'default' });
    for (const id of claimIds) {
      const handle = client.workflow.getHandle(claimWorkflowId(id));
      expect(await handle.result()).toMatchObject({ status: 'verdict_recorded', version: 1 });
      // The same run finished: the server kept it across the restart, nothing started over.
      expect((await handle.describe()).runId).toBe(runs.get(id));
    }
    const rows = await countOneRoundRows(env.db, claimIds);
    expect(rows.problems).toEqual([]);

    writeFigures('temporal-restart', {
      claimsInFlight: CLAIMS,
      killsSurvived: 0,
      outagesSurvived: 1,
      retriesSent: bots.retries,
      rowsLost: rows.lost,
      rowsDoubled: rows.doubled,
      rowsCounted: rows.rows,
      approvedBeforeRestart: approvedBefore,
    });
  });
});
