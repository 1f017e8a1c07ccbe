import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiHarness, waitTask, type ApiHarness } from './support.ts';

// A claim whose verdict the database refuses for good (schema drift: a constraint the code does not know about):
// the approval answers 503 problem+json with Retry-After at once, the dashboard lists the claim as stuck, the metric
// counts it, and the same request retried with its Idempotency-Key after the repair goes through.
describe('a claim stuck on a write the database refuses', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness();
  });
  afterAll(async () => h.close());

  it('answers 503 with Retry-After, shows on the dashboard and in /metrics, and moves again once repaired', async () => {
    const text = `The port handled 1200 ships in 2024, up from 1000, a rise of 20% (${randomUUID().slice(0, 8)}).`;
    const created = await h.req({ method: 'POST', url: '/api/claims', token: h.tokens.fact_checker, payload: { text } });
    expect(created.statusCode, created.body).toBe(202);
    const claimId = created.json<{ claim: { id: string } }>().claim.id;
    const review = await waitTask(h, claimId, (t) => t.kind === 'review' && t.status === 'open');
    expect((await h.req({ method: 'POST', url: `/api/tasks/${review.id}/claim`, token: h.tokens.fact_checker })).statusCode).toBe(200);
    const summary = `Refused by drift ${claimId}`;
    const proposed = await h.req({
      method: 'POST',
      url: `/api/tasks/${review.id}/verdict`,
      token: h.tokens.fact_checker,
      payload: { rating: 'true', summary, citations: [{ url: 'https://port.example.org/2024', stance: 'supports' }] },
    });
    expect(proposed.statusCode, proposed.body).toBe(200);
    const approval = await waitTask(h, claimId, (t) => t.kind === 'approval' && t.status === 'open');
    expect((await h.req({ method: 'POST', url: `/api/tasks/${approval.id}/claim`, token: h.tokens.editor })).statusCode).toBe(200);

    const constraint = `drift_api_${claimId}`;
    await sql`ALTER TABLE verdicts ADD CONSTRAINT ${sql.id(constraint)} CHECK (summary <> ${sql.lit(summary)})`.execute(h.env.db);
    const key = randomUUID();
    const approve = () => h.req({ method: 'POST', url: `/api/tasks/${approval.id}/approve`, token: h.tokens.editor, headers: { 'idempotency-key': key } });
    try {
      const refused = await approve();
      expect(refused.statusCode, refused.body).toBe(503);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.headers['retry-after']).toBe('60');
      const problem = refused.json<{ status: number; detail: string }>();
      expect(problem).toMatchObject({ status: 503, detail: expect.stringContaining(`claim ${claimId} is stuck`) });
      // The database's words stay inside.
      expect(problem.detail).not.toContain(constraint);

      const dashboard = await h.req({ method: 'GET', url: '/api/dashboard', token: h.tokens.editor });
      const stuck = dashboard.json<{ stuck: { count: number; claims: { claimId: string; step: string; status: string }[] } }>().stuck;
      expect(stuck.count).toBeGreaterThanOrEqual(1);
      expect(stuck.claims).toContainEqual(expect.objectContaining({ claimId, step: `verdict-${approval.id}`, status: 'awaiting_approval' }));
      const metrics = await h.req({ method: 'GET', url: '/metrics' });
      const gauge = /^claimdesk_claims_stuck(?:\{[^}\n]*\})? (\d+)$/m.exec(metrics.body);
      expect(Number(gauge?.[1])).toBeGreaterThanOrEqual(1);
    } finally {
      await sql`ALTER TABLE verdicts DROP CONSTRAINT IF EXISTS ${sql.id(constraint)}`.execute(h.env.db);
    }

    // The 503 gave the key back: the same request now records the verdict, and the claim leaves the stuck list.
    const approved = await approve();
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ claim: { status: 'verdict_recorded' } });
    const after = (await h.req({ method: 'GET', url: '/api/dashboard', token: h.tokens.editor })).json<{ stuck: { claims: { claimId: string }[] } }>();
    expect(after.stuck.claims.map((c) => c.claimId)).not.toContain(claimId);
  });
});
