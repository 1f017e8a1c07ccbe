import { afterAll, beforeAll } from 'vitest';
import type { Db } from '../../db/index.ts';
import { claimFingerprint } from '../../activities/intake.ts';
import type { Actor, ReviewPolicy } from '../../src/domain/review.ts';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/services/claim-workflows.ts';
import { openTestEnv, startTestWorker, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import type { ClaimStatus, TaskKind } from '../../src/domain/types.ts';

export const alice: Actor = { name: 'alice', role: 'fact_checker' };
export const bob: Actor = { name: 'bob', role: 'fact_checker' };
export const erin: Actor = { name: 'erin', role: 'editor' };
export const fred: Actor = { name: 'fred', role: 'editor' };
export const ada: Actor = { name: 'ada', role: 'admin' };

/**
 * For the enclosing describe: opens the test env, runs a worker on a fresh task queue and hands over the env and
 * claim workflows client once they are up; stops both after the last test. Returns the task queue.
 */
export function useWorkflowWorker(prefix: string, onReady: (ready: { env: TestEnv; flows: ClaimWorkflows }) => void, options: { policy?: ReviewPolicy } = {}): string {
  const taskQueue = uniqueTaskQueue(prefix);
  let env: TestEnv | undefined;
  let stopWorker: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    env = await openTestEnv();
    ({ stop: stopWorker } = await startTestWorker(env, taskQueue));
    onReady({ env, flows: createClaimWorkflows(env.client, { taskQueue, ...(options.policy ? { policy: options.policy } : {}) }) });
  });
  afterAll(async () => {
    await stopWorker?.();
    await env?.close();
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
