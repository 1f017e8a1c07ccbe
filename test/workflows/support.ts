import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { ActivitySettings } from '../../activities/deps.ts';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import type { Db } from '../../db/index.ts';
import { claimFingerprint } from '../../src/domain/fingerprint.ts';
import type { Actor, ReviewPolicy } from '../../src/domain/review.ts';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { openTestEnv, startTestWorker, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import type { ClaimStatus, TaskKind } from '../../src/domain/types.ts';

export const alice: Actor = { name: 'alice', role: 'fact_checker' };
export const bob: Actor = { name: 'bob', role: 'fact_checker' };
export const erin: Actor = { name: 'erin', role: 'editor' };
export const fred: Actor = { name: 'fred', role: 'editor' };
export const ada: Actor = { name: 'ada', role: 'admin' };

export interface WorkerReady {
  env: TestEnv;
  flows: ClaimWorkflows;
  /** The fact-check settings the worker runs with (pointing at the loopback server when one was asked for). */
  factCheck: ActivitySettings['factCheck'];
}

/**
 * For the enclosing describe: opens the test env, runs a worker on a fresh task queue and hands over the env and
 * claim workflows client once they are up; stops both after the last test. Returns the task queue.
 * With `factCheckServer`, the worker's fact-check provider is a loopback HTTP server answering with that handler.
 */
export function useWorkflowWorker(
  prefix: string,
  onReady: (ready: WorkerReady) => void,
  options: { policy?: ReviewPolicy; factCheckServer?: { handler: RequestListener; timeoutMs: number }; slots?: { maxConcurrentActivityTaskExecutions?: number; maxConcurrentOutboundActivities?: number } } = {},
): string {
  const taskQueue = uniqueTaskQueue(prefix);
  let env: TestEnv | undefined;
  let stopWorker: (() => Promise<void>) | undefined;
  let server: Server | undefined;
  beforeAll(async () => {
    let factCheck = TEST_ACTIVITY_SETTINGS.factCheck;
    if (options.factCheckServer) {
      const listening = createServer(options.factCheckServer.handler);
      server = listening;
      await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}/v1alpha1/claims:search`;
      factCheck = { apiKey: 'test-key', url, timeoutMs: options.factCheckServer.timeoutMs };
    }
    env = await openTestEnv();
    ({ stop: stopWorker } = await startTestWorker(env, taskQueue, { settings: { ...TEST_ACTIVITY_SETTINGS, factCheck } }, options.slots ?? {}));
    onReady({ env, flows: createClaimWorkflows(env.client, { taskQueue, db: env.db, ...(options.policy ? { policy: options.policy } : {}) }), factCheck });
  });
  afterAll(async () => {
    await stopWorker?.();
    await env?.close();
    const open = server;
    if (open) {
      open.closeAllConnections();
      await new Promise<void>((resolve) => open.close(() => resolve()));
    }
  });
  return taskQueue;
}

let counter = 0;
/** A hand-entered claim (no article), unique per call so tests never share rows. */
export async function insertClaim(db: Db, text?: string): Promise<string> {
  counter += 1;
  const body = text ?? `Crime fell from 400 cases to 300, a drop of 40%, in district ${Date.now().toString(36)}-${counter}.`;
  const row = await db.insertInto('claims').values({ text: body, status: 'researching', fingerprint: claimFingerprint(body) }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Polls until check() returns a value (workflow steps finish asynchronously); fails with the last seen state. */
export async function eventually<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function claimStatus(db: Db, claimId: string): Promise<ClaimStatus> {
  const row = await db.selectFrom('claims').select('status').where('id', '=', claimId).executeTakeFirstOrThrow();
  return row.status;
}

export async function tasksOf(db: Db, claimId: string) {
  return db
    .selectFrom('review_tasks')
    .select(['id', 'kind', 'status', 'assignee', 'round', 'priority', 'reviewer', 'comment', 'escalation_level', 'lease_expires_at'])
    .where('claim_id', '=', claimId)
    .orderBy('id')
    .execute();
}

export async function eventTypes(db: Db, claimId: string): Promise<string[]> {
  const rows = await db.selectFrom('claim_events').select('type').where('claim_id', '=', claimId).orderBy('at').orderBy('id').execute();
  return rows.map((r) => r.type);
}

export async function eventsOf(db: Db, claimId: string) {
  return db.selectFrom('claim_events').select(['type', 'actor', 'payload']).where('claim_id', '=', claimId).orderBy('at').orderBy('id').execute();
}

/** Waits for the claim to reach a status and have an active task of the given kind; returns that task. */
export async function waitForTask(db: Db, claimId: string, kind: TaskKind, status: 'open' | 'claimed' = 'open') {
  return eventually(`${kind} task ${status} on claim ${claimId}`, async () => {
    const tasks = await tasksOf(db, claimId);
    return tasks.find((t) => t.kind === kind && t.status === status) ?? null;
  });
}

export const sampleVerdict = {
  rating: 'mostly_true' as const,
  summary: 'The figures match the statistics office release.',
  rationale: 'Checked against the quarterly labour force survey.',
  citations: [{ url: 'https://stats.example.org/lfs', stance: 'supports' as const }],
};
