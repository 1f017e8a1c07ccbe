import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { openTestEnv, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import { spawnService, type ServiceProcess } from './support.ts';
import { alice, erin, eventually, insertClaim, sampleVerdict, waitForTask } from '../workflows/support.ts';

const script = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const CLAIMS = 6;

type WorkerProcess = ServiceProcess;

describe('reliability: a worker process killed mid-flight', () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  const taskQueue = uniqueTaskQueue('reliability');
  const workers: WorkerProcess[] = [];

  async function spawnWorker(): Promise<WorkerProcess> {
    const w = await spawnService(script, [env.temporalAddress, env.databaseUrl, taskQueue, inject('workflowBundlePath')], 'worker ready');
    workers.push(w);
    return w;
  }

  async function kill(w: WorkerProcess): Promise<void> {
    w.child.kill('SIGKILL');
    expect((await w.exited).signal).toBe('SIGKILL');
  }

  beforeAll(async () => {
    env = await openTestEnv();
    flows = createClaimWorkflows(env.client, { taskQueue });
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await env?.close();
  });

  async function countWhere(table: 'claim_events' | 'review_tasks', claimIds: string[], type?: string): Promise<number> {
    let q = env.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('claim_id', 'in', claimIds);
    if (type && table === 'claim_events') q = q.where('type', '=', type);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('completes every claim after two SIGKILLed workers, with no duplicate rows', { timeout: 180_000 }, async () => {
    const first = await spawnWorker();
    const claimIds: string[] = [];
    for (let i = 0; i < CLAIMS; i++) claimIds.push(await insertClaim(env.db));
    await Promise.all(claimIds.map((id) => flows.startClaim(id)));
    // Kill the first worker as soon as it has started writing: research activities are in flight.
    await eventually('research under way', async () => (await countWhere('claim_events', claimIds, 'research_started')) > 0, 60_000);
    await kill(first);

    const second = await spawnWorker();
    const reviews = await Promise.all(claimIds.map((id) => eventually(`review task for ${id}`, () => waitForTask(env.db, id, 'review'), 90_000)));
    // Claim every task at once and kill the worker while those updates are being written.
    const claiming = claimIds.map((id, i) => flows.act(id, { type: 'claim', taskId: reviews[i]!.id, actor: alice }));
    await eventually('first claim written', async () => (await countWhere('claim_events', claimIds, 'task_claimed')) > 0, 60_000);
    await kill(second);

    const third = await spawnWorker();
    const claimed = await Promise.all(claiming);
    expect(claimed.every((r) => r.status === 'in_review')).toBe(true);
    for (const [i, id] of claimIds.entries()) {
      await flows.act(id, { type: 'submitVerdict', taskId: reviews[i]!.id, actor: alice, verdict: sampleVerdict });
      const approval = await waitForTask(env.db, id, 'approval');
      await flows.act(id, { type: 'claim', taskId: approval.id, actor: erin });
      await flows.act(id, { type: 'approve', taskId: approval.id, actor: erin });
    }
    for (const id of claimIds) {
      expect(await env.client.workflow.getHandle(claimWorkflowId(id)).result()).toMatchObject({ status: 'verdict_recorded', version: 1 });
    }

    const claims = await env.db.selectFrom('claims').select(['id', 'status']).where('id', 'in', claimIds).execute();
    expect(claims.every((c) => c.status === 'verdict_recorded')).toBe(true);
    const verdicts = await env.db.selectFrom('verdicts').select(['claim_id', 'version']).where('claim_id', 'in', claimIds).execute();
    expect(verdicts).toHaveLength(CLAIMS);
    const tasks = await env.db.selectFrom('review_tasks').select(['claim_id', 'kind', 'round', 'status']).where('claim_id', 'in', claimIds).execute();
    expect(tasks).toHaveLength(CLAIMS * 2);
    expect(tasks.every((t) => t.status === 'completed' && t.round === 1)).toBe(true);
    const events = await env.db.selectFrom('claim_events').select(['claim_id', 'type']).where('claim_id', 'in', claimIds).execute();
    for (const id of claimIds) {
      const types = events.filter((e) => e.claim_id === id).map((e) => e.type).sort();
      expect(types).toEqual(['automated_checks', 'research_started', 'review_opened', 'task_claimed', 'task_claimed', 'verdict_proposed', 'verdict_recorded'].sort());
    }
    const evidence = await env.db
      .selectFrom('claim_evidence')
      .select(['claim_id', 'content_hash'])
      .where('claim_id', 'in', claimIds)
      .execute();
    expect(new Set(evidence.map((e) => `${e.claim_id}:${e.content_hash}`)).size).toBe(evidence.length);

    // The kills really landed mid-flight: some workflow task timed out on a dead worker or some activity ran again.
    let interrupted = 0;
    for (const id of claimIds) {
      const history = await env.client.workflow.getHandle(claimWorkflowId(id)).fetchHistory();
      for (const e of history.events ?? []) {
        if (e.workflowTaskTimedOutEventAttributes || (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1) interrupted += 1;
      }
    }
    expect(interrupted).toBeGreaterThan(0);

    // The last worker stops the ordinary way: SIGTERM drains and the process exits cleanly.
    third.child.kill('SIGTERM');
    expect(await third.exited).toEqual({ code: 0, signal: null });
  });
});
