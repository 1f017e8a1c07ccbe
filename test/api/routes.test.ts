import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/services/net.ts';
import { openApiHarness, wholeQueue, type ApiHarness, waitTask as waitTaskOf, type ApiTask } from './support.ts';

type Task = ApiTask;

describe('task actions, claim actions and the remaining routes', () => {
  let h: ApiHarness;
  let baseUrl: string;
  beforeAll(async () => {
    h = await openApiHarness({ heartbeatMs: 100 });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => h.close());

  async function newClaim(text: string): Promise<string> {
    const res = await h.req({ method: 'POST', url: '/api/claims', token: h.tokens.fact_checker, payload: { text } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ claim: { status: 'researching', articleId: null }, workflowId: expect.stringMatching(/^claim-\d+$/) });
    return res.json<{ claim: { id: string } }>().claim.id;
  }
  const waitTask = (claimId: string, pred: (t: Task) => boolean): Promise<Task> => waitTaskOf(h, claimId, pred);
  const verdict = { rating: 'half_true', summary: 'Partly right.', citations: [{ url: 'https://stats.example.gov/t1', stance: 'context' }] };

  it('release returns a task to the queue; send-back returns the claim to its reviewer with the comment', async () => {
    const claimId = await newClaim(`Bus ridership doubled in ${Date.now()} according to the mayor.`);
    const review = await waitTask(claimId, (t) => t.kind === 'review' && t.status === 'open');
    const got = await h.req({ method: 'GET', url: `/api/tasks/${review.id}`, token: h.tokens.fact_checker });
    expect(got.json()).toMatchObject({ task: { id: review.id, claimId, kind: 'review', status: 'open' }, claim: { id: claimId } });

    const claimedRes = await h.req({ method: 'POST', url: `/api/tasks/${review.id}/claim`, token: h.tokens.fact_checker });
    expect(claimedRes.statusCode).toBe(200);
    const lease = claimedRes.json<{ task: { leaseExpiresAt: string } }>().task.leaseExpiresAt;
    // The holder keeps the task while working; nobody else can.
    const renewed = await h.req({ method: 'POST', url: `/api/tasks/${review.id}/renew`, token: h.tokens.fact_checker });
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect(Date.parse(renewed.json<{ task: { leaseExpiresAt: string } }>().task.leaseExpiresAt)).toBeGreaterThanOrEqual(Date.parse(lease));
    expect((await h.req({ method: 'POST', url: `/api/tasks/${review.id}/renew`, token: h.tokens.fact_checker2 })).statusCode).toBe(403);
    const released = await h.req({ method: 'POST', url: `/api/tasks/${review.id}/release`, token: h.tokens.fact_checker });
    expect(released.statusCode).toBe(200);
    expect(released.json()).toMatchObject({ task: { status: 'open', assignee: null }, claim: { status: 'awaiting_review' } });

    expect((await h.req({ method: 'POST', url: `/api/tasks/${review.id}/claim`, token: h.tokens.fact_checker2 })).statusCode).toBe(200);
    // Only the assignee may propose the verdict.
    expect((await h.req({ method: 'POST', url: `/api/tasks/${review.id}/verdict`, token: h.tokens.fact_checker, payload: verdict })).statusCode).toBe(403);
    expect((await h.req({ method: 'POST', url: `/api/tasks/${review.id}/verdict`, token: h.tokens.fact_checker2, payload: verdict })).statusCode).toBe(200);

    const approval = await waitTask(claimId, (t) => t.kind === 'approval' && t.status === 'open');
    expect((await h.req({ method: 'POST', url: `/api/tasks/${approval.id}/claim`, token: h.tokens.editor })).statusCode).toBe(200);
    // Another editor cannot act on a task the first one holds.
    expect((await h.req({ method: 'POST', url: `/api/tasks/${approval.id}/approve`, token: h.tokens.editor2 })).statusCode).toBe(403);
    const back = await h.req({ method: 'POST', url: `/api/tasks/${approval.id}/send-back`, token: h.tokens.editor, payload: { comment: 'Cite the 2019 baseline.' } });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ task: { status: 'completed' }, claim: { status: 'in_review' } });
    const round2 = await waitTask(claimId, (t) => t.kind === 'review' && t.status === 'claimed' && t.id !== review.id);
    expect(round2).toMatchObject({ assignee: h.names.fact_checker2, round: 2, comment: 'Cite the 2019 baseline.' });

    expect((await wholeQueue(h, h.tokens.fact_checker2, 'review')).some((i) => i.task.id === round2.id)).toBe(true);
    expect((await wholeQueue(h, h.tokens.fact_checker, 'review')).some((i) => i.task.id === round2.id)).toBe(false);

    const detail = (await h.req({ method: 'GET', url: `/api/claims/${claimId}`, token: h.tokens.fact_checker })).json<{ events: { type: string }[]; verdicts: unknown[]; evidence: unknown[] }>();
    expect(detail.events.map((e) => e.type)).toEqual(expect.arrayContaining(['task_released', 'sent_back']));
    expect(detail.verdicts).toEqual([]);

    const live = await h.req({ method: 'GET', url: `/api/claims/${claimId}/live`, token: h.tokens.fact_checker });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toMatchObject({ claimId, stage: 'review', round: 2 });
  });

  it('an editor reprioritizes and withdraws a claim; a correction before any verdict is refused with the state', async () => {
    const claimId = await newClaim(`Hospital waiting lists fell by 30% in ${Date.now()}.`);
    await waitTask(claimId, (t) => t.kind === 'review' && t.status === 'open');
    const pri = await h.req({ method: 'POST', url: `/api/claims/${claimId}/priority`, token: h.tokens.editor, payload: { priority: 'urgent' } });
    expect(pri.statusCode, pri.body).toBe(200);
    expect(pri.json()).toMatchObject({ claim: { priority: 'urgent' } });
    const queue = await wholeQueue(h, h.tokens.fact_checker, 'review');
    // Most urgent first, across pages too.
    const ranks = queue.map((i) => ['urgent', 'high', 'normal', 'low'].indexOf(i.task.priority));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // Keyset paging over (priority, due, id) neither repeats nor reorders: one-item pages stay most-urgent-first.
    // (Other test files add tasks meanwhile, so this checks order and uniqueness, not equality with the list above.)
    const paged: { id: string; priority: string }[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const res = await h.req({ method: 'GET', url: `/api/queue?kind=review&limit=1${cursor ? `&cursor=${cursor}` : ''}`, token: h.tokens.fact_checker });
      const page = res.json<{ items: { task: { id: string; priority: string } }[]; nextCursor: string | null }>();
      paged.push(...page.items.map((it) => it.task));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(paged.map((t) => t.id)).size).toBe(paged.length);
    const pagedRanks = paged.map((t) => ['urgent', 'high', 'normal', 'low'].indexOf(t.priority));
    expect(pagedRanks).toEqual([...pagedRanks].sort((a, b) => a - b));

    const corr = await h.req({ method: 'POST', url: `/api/claims/${claimId}/corrections`, token: h.tokens.editor, payload: { reason: 'too early' } });
    expect(corr.statusCode).toBe(409);

    const w = await h.req({ method: 'POST', url: `/api/claims/${claimId}/withdraw`, token: h.tokens.editor, payload: { reason: 'Duplicate of an earlier claim.' } });
    expect(w.statusCode, w.body).toBe(200);
    expect(w.json()).toMatchObject({ claim: { status: 'withdrawn' } });
    const again = await h.req({ method: 'POST', url: `/api/claims/${claimId}/withdraw`, token: h.tokens.editor, payload: { reason: 'again' } });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ detail: string }>().detail).toContain('withdrawn');

    const listed = (await h.req({ method: 'GET', url: '/api/claims?status=withdrawn&q=waiting%20lists', token: h.tokens.fact_checker })).json<{ items: { id: string; status: string }[] }>();
    expect(listed.items.map((c) => c.id)).toContain(claimId);
    expect(listed.items.every((c) => c.status === 'withdrawn')).toBe(true);
    expect((await h.req({ method: 'GET', url: `/api/claims/${claimId}/claimreview` })).statusCode).toBe(404);
    expect((await h.req({ method: 'POST', url: '/api/tasks/999999999/claim', token: h.tokens.fact_checker })).statusCode).toBe(404);
  });

  it('SSE streams heartbeats and frees the subscriber when the client goes away', async () => {
    const metric = async () => Number(/claimdesk_sse_clients\{[^}]*\} (\d+)/.exec((await h.req({ method: 'GET', url: '/metrics' })).body)?.[1] ?? NaN);
    const before = await metric();
    const controller = new AbortController();
    const res = await fetch(`${baseUrl}/api/events`, { headers: { authorization: `Bearer ${h.tokens.editor}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes(': ping')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain(': connected');
    expect(text).toContain(': ping');
    expect(await metric()).toBe(before + 1);
    controller.abort();
    await waitFor('SSE subscriber released', async () => (await metric()) === before, 5000);
    const unauth = await fetch(`${baseUrl}/api/events`);
    expect(unauth.status).toBe(401);
  });

  it('sources: an editor adds one, anyone searches it', async () => {
    const url = `https://stats.example.gov/bus-${Date.now()}`;
    const add = await h.req({ method: 'POST', url: '/api/sources', token: h.tokens.editor, payload: { url, title: 'Bus ridership statistics zanzibarquux', kind: 'official_statistics', reliability: 0.9, body: 'Annual bus ridership by city, 2015-2025.' } });
    expect(add.statusCode, add.body).toBe(201);
    const id = add.json<{ source: { id: string } }>().source.id;
    const same = await h.req({ method: 'POST', url: '/api/sources', token: h.tokens.editor, payload: { url, title: 'Bus ridership statistics zanzibarquux', kind: 'official_statistics', reliability: 0.9 } });
    expect(same.statusCode).toBe(200);
    const found = (await h.req({ method: 'GET', url: '/api/sources?q=zanzibarquux', token: h.tokens.fact_checker })).json<{ items: { id: string }[]; nextCursor: string | null }>();
    expect(found.items.map((s) => s.id)).toContain(id);
    expect((await h.req({ method: 'GET', url: `/api/sources/${id}`, token: h.tokens.fact_checker })).json()).toMatchObject({ source: { id, url } });
    expect((await h.req({ method: 'GET', url: '/api/sources?cursor=nonsense', token: h.tokens.fact_checker })).statusCode).toBe(400);
  });

  it('webhooks: list pages, delete hides, the secret is never listed', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await h.req({ method: 'POST', url: '/api/webhooks', token: h.tokens.admin, payload: { url: `http://127.0.0.1:9/hook-${i}`, events: ['verdict.corrected'] } });
      expect(res.statusCode).toBe(201);
      expect(res.json<{ secret: string }>().secret).toMatch(/^whsec_/);
      ids.push(res.json<{ webhook: { id: string } }>().webhook.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Record<string, unknown>[]; nextCursor: string | null } = (await h.req({ method: 'GET', url: `/api/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`, token: h.tokens.editor })).json();
      for (const item of page.items) {
        expect(item).not.toHaveProperty('secret');
        seen.push(String(item.id));
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
    expect((await h.req({ method: 'DELETE', url: `/api/webhooks/${ids[0]}`, token: h.tokens.editor })).statusCode).toBe(204);
    expect((await h.req({ method: 'DELETE', url: `/api/webhooks/${ids[0]}`, token: h.tokens.editor })).statusCode).toBe(404);
    const after = (await h.req({ method: 'GET', url: '/api/webhooks?limit=200', token: h.tokens.editor })).json<{ items: { id: string }[] }>();
    expect(after.items.map((w) => w.id)).not.toContain(ids[0]);
    expect((await h.req({ method: 'GET', url: `/api/webhooks/${ids[1]}/deliveries`, token: h.tokens.editor })).json()).toEqual({ items: [], nextCursor: null });
    // Subscriptions are global: leave none behind for other files' verdicts.
    for (const id of ids.slice(1)) expect((await h.req({ method: 'DELETE', url: `/api/webhooks/${id}`, token: h.tokens.editor })).statusCode).toBe(204);
  });

  it('serves the OpenAPI document and its UI at /docs', async () => {
    const doc = (await h.req({ method: 'GET', url: '/docs/json' })).json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/api/articles', '/api/claims', '/api/claims/{id}', '/api/queue', '/api/tasks/{id}/claim', '/api/tasks/{id}/verdict', '/api/claims/{id}/claimreview', '/api/dashboard', '/api/events', '/api/sources', '/api/webhooks', '/healthz']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(JSON.stringify(doc.paths['/api/tasks/{id}/verdict'])).toContain('rating');
    expect(doc.paths['/api/tasks/{id}/claim']).toHaveProperty(['post', 'responses', '409']);
    expect(doc.paths['/api/articles']).toHaveProperty(['post', 'responses', '413']);
    const ui = await h.req({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });
});
