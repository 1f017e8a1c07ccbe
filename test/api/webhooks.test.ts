import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/publishing/webhook-signing.ts';
import { waitFor } from '../../src/services/net.ts';
import { openApiHarness, type ApiHarness } from './support.ts';
import type { Rating } from '../../src/domain/ratings.ts';

/** A receiver answering each request with the next status in `script` (the last one repeats). */
async function receiver(script: number[]) {
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      // Scripted per delivery, so a verdict from another test file arriving here changes nothing.
      const delivery = req.headers['x-claimdesk-delivery'];
      const earlier = received.filter((r) => r.headers['x-claimdesk-delivery'] === delivery).length;
      received.push({ headers: req.headers, body });
      res.statusCode = script[Math.min(earlier, script.length - 1)] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('deliverVerdictWebhooks', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness();
  });
  afterAll(async () => h.close());

  /** A claim with a recorded verdict, as the claim workflow leaves it (rows written directly: this tests delivery alone). */
  async function recordedVerdict(rating: Rating) {
    const claim = await h.env.db
      .insertInto('claims')
      .values({ text: `Test claim ${Date.now()} ${Math.random()}`, status: 'verdict_recorded', fingerprint: 'test claim' })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    const verdict = await h.env.db
      .insertInto('verdicts')
      .values({ claim_id: claim.id, version: 1, rating, summary: 'Summary.', reviewer: 'r', approver: 'a' })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    return { claimId: claim.id, verdictId: verdict.id };
  }

  async function subscribe(url: string, events?: string[]): Promise<{ id: string; secret: string }> {
    const res = await h.req({ method: 'POST', url: '/api/webhooks', token: h.tokens.editor, payload: { url, ...(events ? { events } : {}) } });
    expect(res.statusCode).toBe(201);
    const id = res.json<{ webhook: { id: string } }>().webhook.id;
    created.push(id);
    return { id, secret: res.json<{ secret: string }>().secret };
  }

  // Subscriptions are global; each test removes its own so other files' verdicts never wait on its receivers.
  const created: string[] = [];
  afterEach(async () => {
    for (const id of created.splice(0)) await h.req({ method: 'DELETE', url: `/api/webhooks/${id}`, token: h.tokens.editor });
  });

  // Started, not awaited: other test files' subscriptions may be retrying inside the same workflow.
  async function deliver(input: { claimId: string; verdictId: string; event: 'verdict.recorded' | 'verdict.corrected' }): Promise<void> {
    await h.env.client.workflow.start('deliverVerdictWebhooks', { taskQueue: h.taskQueue, workflowId: `webhooks-${input.verdictId}-${input.event}`, args: [input] });
  }

  async function logFor(verdictId: string, webhookIds: string[], settled: number) {
    let rows: Awaited<ReturnType<typeof query>> = [];
    const query = () => h.env.db.selectFrom('webhook_deliveries').selectAll().where('verdict_id', '=', verdictId).where('webhook_id', 'in', webhookIds).orderBy('webhook_id').orderBy('attempt').execute();
    await waitFor('deliveries logged', async () => {
      rows = await query();
      return rows.filter((r) => r.final).length >= settled;
    }, 30_000);
    return rows;
  }

  it('delivers to every matching subscription; a 4xx is final after one attempt; others are unaffected', async () => {
    const ok = await receiver([200]);
    const gone = await receiver([410]);
    const correctionsOnly = await receiver([200]);
    try {
      const okHook = await subscribe(ok.url);
      const goneHook = await subscribe(gone.url);
      await subscribe(correctionsOnly.url, ['verdict.corrected']);
      const removed = await subscribe(ok.url);
      expect((await h.req({ method: 'DELETE', url: `/api/webhooks/${removed.id}`, token: h.tokens.editor })).statusCode).toBe(204);

      const v = await recordedVerdict('misleading');
      await deliver({ ...v, event: 'verdict.recorded' });
      const log = await logFor(v.verdictId, [okHook.id, goneHook.id, removed.id], 2);
      expect(log.map((r) => [r.webhook_id, r.delivery_id, r.attempt, r.outcome, r.status_code, r.final])).toEqual([
        [okHook.id, `verdict.recorded:${v.verdictId}:${okHook.id}`, 1, 'succeeded', 200, true],
        [goneHook.id, `verdict.recorded:${v.verdictId}:${goneHook.id}`, 1, 'failed', 410, true],
      ]);
      const forThis = (r: { body: string }) => (JSON.parse(r.body) as { verdictId: string }).verdictId === v.verdictId;
      expect(ok.received.filter(forThis)).toHaveLength(1);
      expect(gone.received.filter(forThis)).toHaveLength(1);
      expect(correctionsOnly.received.filter(forThis)).toHaveLength(0);

      const got = ok.received.find(forThis);
      const ts = String(got?.headers['x-claimdesk-timestamp']);
      expect(got?.headers['x-claimdesk-signature']).toBe(`sha256=${createHmac('sha256', okHook.secret).update(`${ts}.${got?.body}`).digest('hex')}`);
      expect(signWebhook(okHook.secret, ts, got?.body ?? '')).toBe(got?.headers['x-claimdesk-signature']);
      const body = JSON.parse(got?.body ?? '{}') as { claimReview: { reviewRating: Record<string, unknown> } };
      // A rating off the true/false line is named, not numbered.
      expect(body.claimReview.reviewRating).toMatchObject({ alternateName: 'Misleading', bestRating: 5, worstRating: 1 });
      expect(body.claimReview.reviewRating).not.toHaveProperty('ratingValue');

      const metrics = (await h.req({ method: 'GET', url: '/metrics' })).body;
      expect(Number(/claimdesk_webhook_deliveries_failed\{[^}]*\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all([ok.close(), gone.close(), correctionsOnly.close()]);
    }
  });

  it('retries an unreachable receiver with backoff and logs each attempt under the same delivery id', async () => {
    const flaky = await receiver([503, 502, 200]);
    try {
      const hook = await subscribe(flaky.url, ['verdict.corrected']);
      const v = await recordedVerdict('true');
      await deliver({ ...v, event: 'verdict.corrected' });
      await logFor(v.verdictId, [hook.id], 1);
      const forThis = flaky.received.filter((r) => (JSON.parse(r.body) as { verdictId: string }).verdictId === v.verdictId);
      expect(forThis.map((r) => r.headers['x-claimdesk-delivery'])).toEqual(Array(3).fill(`verdict.corrected:${v.verdictId}:${hook.id}`));
      const page = (await h.req({ method: 'GET', url: `/api/webhooks/${hook.id}/deliveries`, token: h.tokens.editor })).json<{ items: { deliveryId: string; attempt: number; outcome: string; statusCode: number }[] }>();
      // The hook is global while it exists: corrections recorded by other test files meanwhile are logged under it too.
      const ours = page.items.filter((d) => d.deliveryId === `verdict.corrected:${v.verdictId}:${hook.id}`);
      expect(ours.map((d) => [d.attempt, d.outcome, d.statusCode])).toEqual([
        [3, 'succeeded', 200],
        [2, 'failed', 502],
        [1, 'failed', 503],
      ]);
    } finally {
      await flaky.close();
    }
  });
});
