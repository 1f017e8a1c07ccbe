import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/services/net.ts';
import { extractClaims } from '../../src/extraction/index.ts';
import { openApiHarness, uniqueArticle, waitTask, wholeQueue, type ApiHarness, type ApiTask } from './support.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A newsroom system on loopback: fails its first delivery with a 500, then accepts. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      // Per delivery, so another test's verdict arriving here cannot change what this one sees.
      const delivery = req.headers['x-claimdesk-delivery'];
      const earlier = received.filter((r) => r.headers['x-claimdesk-delivery'] === delivery).length;
      received.push({ headers: req.headers, body });
      res.statusCode = earlier === 0 ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/claimdesk`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

type Task = ApiTask;

describe('a claim from submission to a published, webhooked ClaimReview', () => {
  let h: ApiHarness;
  let baseUrl: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const secret = 'test-secret-0123456789abcdef';

  beforeAll(async () => {
    h = await openApiHarness({ heartbeatMs: 200 });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await h.close();
    await receiver.close();
  });

  const openTask = (claimId: string, kind: 'review' | 'approval', notIds: string[] = []): Promise<Task> =>
    waitTask(h, claimId, (t) => t.kind === kind && t.status === 'open' && !notIds.includes(t.id));

  it('submits the same article twice and gets the same article and workflow back, with its claims extracted', async () => {
    const article = uniqueArticle();
    const first = await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.fact_checker, payload: article });
    expect(first.statusCode).toBe(202);
    const a = first.json<{ article: { id: string }; workflowId: string; created: boolean }>();
    expect(a).toMatchObject({ created: true, workflowId: `article-${a.article.id}` });
    // Whitespace differences are the same article.
    const again = await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.editor, payload: { ...article, body: `  ${article.body.replace(/ /g, '  ')}\n` } });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ article: { id: a.article.id }, workflowId: a.workflowId, created: false });

    let claims: { id: string; text: string; status: string; start: number; end: number; score: number; features: string[] }[] = [];
    await waitFor('claims extracted', async () => {
      claims = (await h.req({ method: 'GET', url: `/api/articles/${a.article.id}`, token: h.tokens.fact_checker })).json<{ claims: typeof claims }>().claims;
      return claims.length > 0;
    }, 30_000);
    for (const c of claims) expect(article.body.slice(c.start, c.end)).toBe(c.text);
    // Each claim says why it was picked: the extractor's own signals for that sentence.
    for (const c of claims) expect(c.features).toEqual(extractClaims(article.body, { includeBelowThreshold: true }).find((e) => e.start === c.start)?.features);
    expect(claims.some((c) => c.features.length > 0)).toBe(true);
    const listed = await h.req({ method: 'GET', url: `/api/claims?articleId=${a.article.id}&limit=1`, token: h.tokens.fact_checker });
    const page1 = listed.json<{ items: { id: string }[]; nextCursor: string | null }>();
    expect(page1.items).toHaveLength(1);
    if (claims.length > 1) {
      expect(page1.nextCursor).not.toBeNull();
      const page2 = (await h.req({ method: 'GET', url: `/api/claims?articleId=${a.article.id}&limit=1&cursor=${page1.nextCursor}`, token: h.tokens.fact_checker })).json<typeof page1>();
      expect(page2.items[0]?.id).not.toBe(page1.items[0]?.id);
    }
  });

  it('runs review, a lost race, approval, ClaimReview, SSE and a signed webhook delivered after a 500', async () => {
    const hook = await h.req({ method: 'POST', url: '/api/webhooks', token: h.tokens.editor, payload: { url: receiver.url, secret, description: 'test receiver' } });
    expect(hook.statusCode).toBe(201);
    const webhookId = hook.json<{ webhook: { id: string } }>().webhook.id;

    const article = uniqueArticle();
    const sub = (await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.fact_checker, payload: { ...article, publishedAt: '2026-03-02T09:00:00Z' } })).json<{ article: { id: string } }>();
    const created = await h.req({
      method: 'POST',
      url: '/api/claims',
      token: h.tokens.fact_checker,
      payload: { text: 'Spending on libraries has risen by 40% since 2019.', claimant: 'Jane Roe', articleId: sub.article.id },
    });
    expect(created.statusCode).toBe(202);
    const claimId = created.json<{ claim: { id: string; status: string } }>().claim.id;

    // Subscribe to live changes for this claim before anything happens to it.
    const controller = new AbortController();
    const sse = await fetch(`${baseUrl}/api/events?claimId=${claimId}`, { headers: { authorization: `Bearer ${h.tokens.fact_checker}` }, signal: controller.signal });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const events: { claimId?: string; type: string; status?: string }[] = [];
    let raw = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>) {
          raw += decoder.decode(chunk, { stream: true });
          let idx;
          while ((idx = raw.indexOf('\n\n')) !== -1) {
            const block = raw.slice(0, idx);
            raw = raw.slice(idx + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (data) events.push(JSON.parse(data.slice(6)) as (typeof events)[number]);
          }
        }
      } catch {
        // aborted at the end of the test
      }
    })();

    const review = await openTask(claimId, 'review');
    const queue = await wholeQueue(h, h.tokens.fact_checker, 'review');
    expect(queue.some((i) => i.task.id === review.id && i.claim.id === claimId)).toBe(true);

    // Two fact-checkers claim at once: one wins, the other is told who holds it.
    const [a, b] = await Promise.all([
      h.req({ method: 'POST', url: `/api/tasks/${review.id}/claim`, token: h.tokens.fact_checker }),
      h.req({ method: 'POST', url: `/api/tasks/${review.id}/claim`, token: h.tokens.fact_checker2 }),
    ]);
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = a.statusCode === 200 ? 'fact_checker' : 'fact_checker2';
    const loser = a.statusCode === 200 ? b : a;
    expect(loser.headers['content-type']).toContain('application/problem+json');
    expect(loser.json<{ detail: string; holder: string }>().detail).toContain(h.names[winner]);
    const claimed = (a.statusCode === 200 ? a : b).json<{ task: Task }>();
    expect(claimed.task).toMatchObject({ status: 'claimed', assignee: h.names[winner] });

    // The other one cannot release or decide it.
    const other = winner === 'fact_checker' ? 'fact_checker2' : 'fact_checker';
    expect((await h.req({ method: 'POST', url: `/api/tasks/${review.id}/release`, token: h.tokens[other] })).statusCode).toBe(403);

    await waitFor('SSE change for the claim', async () => events.some((e) => e.claimId === claimId && e.status === 'in_review'), 15_000);

    const verdict = await h.req({
      method: 'POST',
      url: `/api/tasks/${review.id}/verdict`,
      token: h.tokens[winner],
      payload: {
        rating: 'false',
        summary: 'Library spending rose by 12%, not 40%.',
        rationale: 'The council accounts for 2019 and 2025 show £10.7m and £12.0m.',
        citations: [{ url: 'https://council.example.gov/accounts-2025', quote: 'Libraries: £12.0m', stance: 'refutes' }],
      },
    });
    expect(verdict.statusCode, verdict.body).toBe(200);
    expect(verdict.json()).toMatchObject({ claim: { status: 'awaiting_approval' } });
    expect((await h.req({ method: 'GET', url: `/api/claims/${claimId}/claimreview` })).statusCode).toBe(404);

    const approval = await openTask(claimId, 'approval');
    expect((await wholeQueue(h, h.tokens.editor, 'approval')).some((i) => i.task.id === approval.id)).toBe(true);
    // A fact-checker cannot approve.
    expect((await h.req({ method: 'POST', url: `/api/tasks/${approval.id}/claim`, token: h.tokens.fact_checker })).statusCode).toBe(403);
    expect((await h.req({ method: 'POST', url: `/api/tasks/${approval.id}/claim`, token: h.tokens.editor })).statusCode).toBe(200);
    const approved = await h.req({ method: 'POST', url: `/api/tasks/${approval.id}/approve`, token: h.tokens.editor });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ claim: { status: 'verdict_recorded' } });

    // A task the state no longer allows: 409 with the current state.
    const late = await h.req({ method: 'POST', url: `/api/tasks/${review.id}/claim`, token: h.tokens.fact_checker });
    expect(late.statusCode).toBe(409);

    const cr = await h.req({ method: 'GET', url: `/api/claims/${claimId}/claimreview` });
    expect(cr.statusCode).toBe(200);
    expect(cr.headers['content-type']).toContain('application/ld+json');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON-LD is checked field by field below
    const jsonld = cr.json<Record<string, any>>();
    // Google's required fields...
    expect(jsonld['@context']).toBe('https://schema.org');
    expect(jsonld['@type']).toBe('ClaimReview');
    expect(jsonld.claimReviewed).toBe('Spending on libraries has risen by 40% since 2019.');
    expect(jsonld.url).toBe(`https://factcheck.example.org/claims/${claimId}`);
    expect(jsonld.author).toEqual({ '@type': 'Organization', name: 'Test Desk', url: 'https://factcheck.example.org' });
    expect(jsonld.reviewRating).toMatchObject({ '@type': 'Rating', alternateName: 'False', ratingValue: 1, bestRating: 5, worstRating: 1, ratingExplanation: 'Library spending rose by 12%, not 40%.' });
    // ...and the recommended ones.
    expect(new Date(jsonld.datePublished as string).toISOString()).toBe(jsonld.datePublished);
    expect(jsonld.itemReviewed).toMatchObject({
      '@type': 'Claim',
      author: { '@type': 'Person', name: 'Jane Roe' },
      datePublished: '2026-03-02T09:00:00.000Z',
      appearance: [{ '@type': 'CreativeWork', url: article.url }],
    });
    expect(jsonld.dateModified).toBeUndefined();

    const feed = (await h.req({ method: 'GET', url: '/api/claimreviews?limit=200' })).json<{ items: Record<string, unknown>[] }>();
    expect(feed.items.some((i) => i.url === jsonld.url)).toBe(true);

    // The webhook: first attempt answered 500, the retry was accepted; both attempts are in the log.
    const mine = () => receiver.received.filter((r) => (JSON.parse(r.body) as { claimId: string }).claimId === claimId);
    await waitFor('webhook delivered after a retry', async () => mine().length >= 2, 30_000);
    const [firstTry, delivered] = mine() as [Received, Received];
    const ts = delivered.headers['x-claimdesk-timestamp'] as string;
    const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${delivered.body}`).digest('hex')}`;
    expect(delivered.headers['x-claimdesk-signature']).toBe(expected);
    expect(delivered.headers['x-claimdesk-delivery']).toBe(firstTry.headers['x-claimdesk-delivery']);
    expect(delivered.headers['x-claimdesk-event']).toBe('verdict.recorded');
    const body = JSON.parse(delivered.body) as { event: string; claimId: string; rating: string; claimReview: { claimReviewed: string } };
    expect(body).toMatchObject({ event: 'verdict.recorded', claimId, rating: 'false', claimReview: { claimReviewed: jsonld.claimReviewed } });

    let log: { claimId: string; event: string; attempt: number; outcome: string; statusCode: number | null; final: boolean }[] = [];
    await waitFor('delivery log written', async () => {
      // Other test files' verdicts may be delivered to this hook too while it exists: look at this claim's.
      log = (await h.req({ method: 'GET', url: `/api/webhooks/${webhookId}/deliveries?limit=200`, token: h.tokens.editor }))
        .json<{ items: typeof log }>()
        .items.filter((d) => d.claimId === claimId && d.event === 'verdict.recorded');
      return log.some((d) => d.outcome === 'succeeded');
    }, 10_000);
    expect(log.map((d) => [d.attempt, d.outcome, d.statusCode, d.final])).toEqual([
      [2, 'succeeded', 204, true],
      [1, 'failed', 500, false],
    ]);

    // The editor's dashboard sees the recorded verdict; metrics expose queue and webhook figures.
    const dash = await h.req({ method: 'GET', url: '/api/dashboard', token: h.tokens.editor });
    expect(dash.statusCode).toBe(200);
    const d = dash.json<{ countsByStatus: Record<string, number>; medianTimeToClaimSeconds: number | null; medianTimeToVerdictSeconds: number | null; stages: { kind: string; completed: number }[]; throughputPerDay: { verdicts: number }[] }>();
    expect(d.countsByStatus.verdict_recorded).toBeGreaterThanOrEqual(1);
    expect(d.medianTimeToClaimSeconds).not.toBeNull();
    expect(d.medianTimeToVerdictSeconds).not.toBeNull();
    expect(d.stages.find((s) => s.kind === 'approval')?.completed).toBeGreaterThanOrEqual(1);
    expect(d.throughputPerDay.reduce((n, x) => n + x.verdicts, 0)).toBeGreaterThanOrEqual(1);
    const metrics = (await h.req({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/claimdesk_claims\{status="verdict_recorded"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/claimdesk_webhook_delivery_attempts\{outcome="failed"[^}]*\} [1-9]/);
    expect(metrics).toContain('claimdesk_http_request_duration_seconds_bucket');
    expect(metrics).toContain('claimdesk_tasks_overdue');

    // A correction: a new round ends in version 2, and the ClaimReview gains dateModified.
    const corr = await h.req({ method: 'POST', url: `/api/claims/${claimId}/corrections`, token: h.tokens.editor, payload: { reason: 'The 2019 figure was restated.' } });
    expect(corr.statusCode, corr.body).toBe(202);
    const review2 = await openTask(claimId, 'review', [review.id]);
    expect((await h.req({ method: 'POST', url: `/api/tasks/${review2.id}/claim`, token: h.tokens.fact_checker })).statusCode).toBe(200);
    const v2 = await h.req({
      method: 'POST',
      url: `/api/tasks/${review2.id}/verdict`,
      token: h.tokens.fact_checker,
      payload: { rating: 'mostly_false', summary: 'Spending rose by 25% on the restated figures.', citations: [{ url: 'https://council.example.gov/restated', stance: 'refutes' }] },
    });
    expect(v2.statusCode, v2.body).toBe(200);
    const approval2 = await openTask(claimId, 'approval', [approval.id]);
    expect((await h.req({ method: 'POST', url: `/api/tasks/${approval2.id}/claim`, token: h.tokens.editor2 })).statusCode).toBe(200);
    expect((await h.req({ method: 'POST', url: `/api/tasks/${approval2.id}/approve`, token: h.tokens.editor2 })).statusCode).toBe(200);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON-LD is checked field by field below
    const cr2 = (await h.req({ method: 'GET', url: `/api/claims/${claimId}/claimreview` })).json<Record<string, any>>();
    expect(cr2.reviewRating).toMatchObject({ alternateName: 'Mostly false', ratingValue: 2 });
    expect(cr2.datePublished).toBe(jsonld.datePublished);
    expect(cr2.dateModified).toBeDefined();
    await waitFor('corrected verdict webhooked', async () => mine().some((r) => r.headers['x-claimdesk-event'] === 'verdict.corrected'), 30_000);

    controller.abort();
    await reading;
    // Subscriptions are global: leave none behind for other files' verdicts.
    expect((await h.req({ method: 'DELETE', url: `/api/webhooks/${webhookId}`, token: h.tokens.editor })).statusCode).toBe(204);
  });
});
