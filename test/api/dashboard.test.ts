import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiHarness, type ApiHarness } from './support.ts';

interface Dashboard {
  countsByStatus: Record<string, number>;
  overdue: { count: number; tasks: { task: { id: string; assignee: string | null }; claimText: string; overdueSeconds: number }[] };
  medianTimeToClaimSeconds: number | null;
  stages: { kind: string; open: number; claimed: number; completed: number; medianQueueSeconds: number | null; medianWorkSeconds: number | null }[];
  reviewerLoad: { assignee: string; review: number; approval: number; total: number }[];
  throughputPerDay: { day: string; verdicts: number }[];
}

describe('GET /api/dashboard', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
  });
  afterAll(async () => h.close());

  // Rows as the workflow activities leave them (written directly: this tests the aggregation, not the workflow).
  async function claimWithTask(opts: { status: 'awaiting_review' | 'in_review'; assignee: string | null; dueInMs: number; kind?: 'review' | 'approval' }) {
    const tag = randomUUID().slice(0, 8);
    const claim = await h.env.db
      .insertInto('claims')
      .values({ text: `Dashboard claim ${tag}`, status: opts.status, fingerprint: `dashboard claim ${tag}` })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    const now = Date.now();
    const task = await h.env.db
      .insertInto('review_tasks')
      .values({
        claim_id: claim.id,
        kind: opts.kind ?? 'review',
        status: opts.assignee ? 'claimed' : 'open',
        assignee: opts.assignee,
        due_at: new Date(now + opts.dueInMs),
        idempotency_key: `dash-${tag}`,
        created_at: new Date(now - 3_600_000),
        claimed_at: opts.assignee ? new Date(now - 1_800_000) : null,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    return { claimId: claim.id, taskId: task.id, text: `Dashboard claim ${tag}` };
  }

  it('lists overdue tasks, per-reviewer load, stage timings and counts per status', async () => {
    const get = async () => (await h.req({ method: 'GET', url: '/api/dashboard', token: h.tokens.editor })).json<Dashboard>();
    const reviewer = `load-${randomUUID().slice(0, 6)}`;
    const late = await claimWithTask({ status: 'awaiting_review', assignee: null, dueInMs: -600_000 });
    await claimWithTask({ status: 'in_review', assignee: reviewer, dueInMs: 3_600_000 });
    await claimWithTask({ status: 'in_review', assignee: reviewer, dueInMs: 3_600_000 });
    await claimWithTask({ status: 'in_review', assignee: reviewer, dueInMs: 3_600_000, kind: 'approval' });

    const after = await get();
    // Other test files change statuses concurrently, so only lower bounds hold here.
    expect(after.countsByStatus.awaiting_review).toBeGreaterThanOrEqual(1);
    expect(after.countsByStatus.in_review).toBeGreaterThanOrEqual(3);
    expect(after.overdue.count).toBeGreaterThanOrEqual(1);
    const overdue = after.overdue.tasks.find((t) => t.task.id === late.taskId);
    expect(overdue).toMatchObject({ claimText: late.text });
    expect(overdue?.overdueSeconds).toBeGreaterThanOrEqual(600);
    expect(after.reviewerLoad.find((r) => r.assignee === reviewer)).toEqual({ assignee: reviewer, review: 2, approval: 1, total: 3 });
    const review = after.stages.find((s) => s.kind === 'review');
    expect(review?.claimed).toBeGreaterThanOrEqual(2);
    expect(review?.medianQueueSeconds).not.toBeNull();
    expect(after.medianTimeToClaimSeconds).not.toBeNull();
    expect(Object.keys(after.countsByStatus).sort()).toEqual(['awaiting_approval', 'awaiting_review', 'extracted', 'in_review', 'researching', 'verdict_recorded', 'withdrawn']);

    const metrics = (await h.req({ method: 'GET', url: '/metrics' })).body;
    expect(Number(/claimdesk_tasks_overdue\{[^}]*\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/claimdesk_tasks_open\{kind="review",status="claimed"[^}]*\} [1-9]/);
  });

  it('rejects a bad window', async () => {
    const res = await h.req({ method: 'GET', url: '/api/dashboard?days=0', token: h.tokens.editor });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('querystring.days');
  });
});
