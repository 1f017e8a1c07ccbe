// PUT /api/policy: an admin changes the review policy through the API, validated (400 naming the field), audited
// (every version kept with who, when and why), guarded against lost updates (expectedVersion → 409), and applied
// once per Idempotency-Key; a claim in flight follows the new version.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from '../../src/domain/review.ts';
import { eventsOf, eventually, insertClaim, waitForTask } from '../workflows/support.ts';
import { openApiHarness, type ApiHarness } from './support.ts';

const every = (ms: number) => ({ low: ms, normal: ms, high: ms, urgent: ms });

describe('review policy through the API', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ policy: null });
  });
  afterAll(async () => {
    await h?.close();
  });

  const put = (body: unknown, opts: { token?: string; key?: string } = {}) =>
    h.req({ method: 'PUT', url: '/api/policy', token: opts.token ?? h.tokens.admin, payload: body as object, headers: opts.key ? { 'idempotency-key': opts.key } : {} });
  /** A save as a client makes it: a 503 (saved, but the rollout could not start yet) is sent again with the same key. */
  async function save(body: unknown): Promise<{ version: number }> {
    const key = randomUUID();
    for (let attempt = 0; ; attempt++) {
      const res = await put(body, { key });
      if (res.statusCode === 200) return res.json<{ version: number }>();
      if (res.statusCode !== 503 || attempt >= 10) throw new Error(`PUT /api/policy: ${res.statusCode} ${res.body}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const current = async () => (await h.req({ method: 'GET', url: '/api/policy', token: h.tokens.admin })).json<{ version: number; policy: ReviewPolicy; fixed: boolean; createdBy: string | null }>();

  it('starts at the built-in default, version 0, editable', async () => {
    expect(await current()).toEqual({ version: 0, policy: DEFAULT_REVIEW_POLICY, note: null, createdBy: null, createdAt: null, fixed: false });
  });

  it('refuses a malformed policy with 400 naming the field, and stores nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ policy: { ...DEFAULT_REVIEW_POLICY, leaseMs: -5 } }, 'policy.leaseMs'],
      [{ policy: { ...DEFAULT_REVIEW_POLICY, leaseMs: 'two hours' } }, 'policy.leaseMs'],
      [{ policy: { ...DEFAULT_REVIEW_POLICY, claimSlaMs: { urgent: 1000, high: 1000, normal: 1000 } } }, 'policy.claimSlaMs'],
      [{ policy: { ...DEFAULT_REVIEW_POLICY, approvers: 9 } }, 'policy.approvers'],
      [{ policy: { ...DEFAULT_REVIEW_POLICY, approvalRequiredFor: ['sort_of'] } }, 'policy.approvalRequiredFor'],
      [{ policy: { ...DEFAULT_REVIEW_POLICY, leaseMS: 1000 } }, 'policy'],
      [{ policy: DEFAULT_REVIEW_POLICY, expectedVersion: 'latest' }, 'expectedVersion'],
      [{}, 'policy'],
    ];
    for (const [body, field] of cases) {
      const res = await put(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const problem = res.json<{ errors: Array<{ field: string }> }>();
      expect(problem.errors.map((e) => e.field).some((f) => f === field || f.startsWith(`${field}.`)), `${JSON.stringify(problem)} should name ${field}`).toBe(true);
    }
    expect((await current()).version).toBe(0);
  });

  it('only admins read or change it', async () => {
    for (const token of [h.tokens.editor, h.tokens.fact_checker]) {
      expect((await put({ policy: DEFAULT_REVIEW_POLICY }, { token })).statusCode).toBe(403);
      expect((await h.req({ method: 'GET', url: '/api/policy', token })).statusCode).toBe(403);
    }
    expect((await h.req({ method: 'PUT', url: '/api/policy', payload: { policy: DEFAULT_REVIEW_POLICY } })).statusCode).toBe(401);
  });

  it('saves versions with who and why, refuses a stale expectedVersion, stores nothing for the same policy, and applies a retried key once', async () => {
    const before = (await current()).version;
    const quicker = { ...DEFAULT_REVIEW_POLICY, claimSlaMs: every(30 * 60_000) };
    const key = randomUUID();
    const first = await put({ policy: quicker, note: 'election night', expectedVersion: before }, { key });
    expect(first.statusCode).toBe(200);
    const saved = first.json<{ version: number; changed: boolean; createdBy: string; rolloutWorkflowId: string }>();
    expect(saved).toMatchObject({ version: before + 1, changed: true, createdBy: h.names.admin, note: 'election night', rolloutWorkflowId: expect.stringMatching(new RegExp(`^policy-rollout-v${before + 1}-\\d+$`)) as unknown });
    // The same request again: the first answer, no second version.
    const retried = await put({ policy: quicker, note: 'election night', expectedVersion: before }, { key });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toEqual(first.json());
    // Someone else's save on a stale read: refused, naming the version in force.
    const stale = await put({ policy: DEFAULT_REVIEW_POLICY, expectedVersion: before });
    expect(stale.statusCode).toBe(409);
    expect(stale.json<{ detail: string }>().detail).toContain(`version ${before + 1}`);
    // The policy in force again (a new key): nothing stored.
    const same = await put({ policy: quicker });
    expect(same.json()).toMatchObject({ version: before + 1, changed: false });
    const versions = (await h.req({ method: 'GET', url: '/api/policy/versions', token: h.tokens.admin })).json<{ items: Array<{ version: number; createdBy: string; note: string | null; policy: ReviewPolicy }> }>();
    expect(versions.items[0]).toMatchObject({ version: before + 1, createdBy: h.names.admin, note: 'election night', policy: quicker });
    expect(versions.items.filter((v) => v.version === before + 1)).toHaveLength(1);
    expect(await current()).toMatchObject({ version: before + 1, policy: quicker });
  });

  it('a claim in flight follows the saved version', { timeout: 180_000 }, async () => {
    await save({ policy: { ...DEFAULT_REVIEW_POLICY, claimSlaMs: every(45 * 60_000) } });
    const claimId = await insertClaim(h.env.db);
    await h.claimWorkflows.startClaim(claimId);
    const review = await waitForTask(h.env.db, claimId, 'review');
    const saved = await save({ policy: { ...DEFAULT_REVIEW_POLICY, claimSlaMs: every(90 * 60_000) }, note: 'more time' });
    await eventually('policy_changed on the claim', async () => (await eventsOf(h.env.db, claimId)).find((e) => e.type === 'policy_changed'), 90_000);
    const task = await h.env.db.selectFrom('review_tasks').select(['due_at', 'created_at']).where('id', '=', review.id).executeTakeFirstOrThrow();
    expect(task.due_at!.getTime() - task.created_at.getTime()).toBe(90 * 60_000);
    const claim = (await h.req({ method: 'GET', url: `/api/claims/${claimId}`, token: h.tokens.editor })).json<{ events: Array<{ type: string; payload: unknown }> }>();
    expect(claim.events.find((e) => e.type === 'policy_changed')?.payload).toMatchObject({ to: saved.version });
    await h.req({ method: 'POST', url: `/api/claims/${claimId}/withdraw`, token: h.tokens.editor, payload: { reason: 'test cleanup' } });
  });
});
