import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimFingerprint } from '../../src/domain/fingerprint.ts';
import { MAX_SEARCH_QUERY_CHARS } from '../../src/api/schemas.ts';
import { openApiHarness, type ApiHarness } from './support.ts';

describe('search input: long queries and hand-entered claims', () => {
  let h: ApiHarness;
  let baseUrl: string;
  beforeAll(async () => {
    // No worker: entering a claim only needs its row and a started workflow.
    h = await openApiHarness({ worker: false });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => h.close());

  const get = (path: string) => fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${h.tokens.fact_checker}` } });

  it('a 10 kB claim pasted as a source query is searched (truncated), over real HTTP, and finds its source', async () => {
    const tag = `quarzel${randomUUID().slice(0, 8).replace(/-/g, '')}`;
    const added = await h.req({
      method: 'POST',
      url: '/api/sources',
      token: h.tokens.editor,
      payload: { url: `https://stats.example.gov/${tag}`, title: `Library spending ${tag}`, body: `Spending on libraries ${tag} rose by 40 percent since 2019: council spending rose sharply according to the leader.`, kind: 'official_statistics', reliability: 0.9 },
    });
    expect(added.statusCode, added.body).toBe(201);
    // Search terms are all required (websearch syntax), so the ~10 kB of repeats use the source's own words.
    const q = `${tag} libraries ${'council spending rose sharply according to the leader, '.repeat(200)}`.slice(0, 10_240);
    expect(q.length).toBe(10_240);
    const res = await get(`/api/sources?q=${encodeURIComponent(q)}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { url: string }[] };
    expect(body.items.map((i) => i.url)).toContain(`https://stats.example.gov/${tag}`);
  });

  it('claims search accepts a long q too; only a q beyond the cap is a 400 naming q', async () => {
    const long = await get(`/api/claims?q=${encodeURIComponent('x'.repeat(10_240))}`);
    expect(long.status).toBe(200);
    expect(((await long.json()) as { items: unknown[] }).items).toEqual([]);

    for (const path of ['/api/sources', '/api/claims']) {
      const res = await h.req({ method: 'GET', url: `${path}?q=${'y'.repeat(MAX_SEARCH_QUERY_CHARS + 1)}`, token: h.tokens.fact_checker });
      expect(res.statusCode, path).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toEqual(['querystring.q']);
    }
  });

  it('a claim entered by hand gets the same fingerprint as the extractor gives it', async () => {
    const text = `Unemployment FELL to 3.1% — in March ${randomUUID().slice(0, 8)}!`;
    const res = await h.req({ method: 'POST', url: '/api/claims', token: h.tokens.fact_checker, payload: { text } });
    expect(res.statusCode, res.body).toBe(202);
    const row = await h.env.db.selectFrom('claims').select('fingerprint').where('id', '=', res.json<{ claim: { id: string } }>().claim.id).executeTakeFirstOrThrow();
    expect(row.fingerprint).toBe(claimFingerprint(text));
    expect(row.fingerprint).toMatch(/^unemployment fell to 3\.1 percent in march [0-9a-f]+$/);
  });
});
