import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiHarness, type ApiHarness } from './support.ts';

// Bodies shaped like each route's input but with arbitrary values, plus wholly arbitrary JSON: a client
// mistake must always come back as a 4xx problem, never a 500.
const anyJson = fc.jsonValue({ maxDepth: 3 });
const field = fc.oneof(anyJson, fc.string({ maxLength: 40 }), fc.constantFrom('', 'true', 'false', '999999999999999999999', 'https://example.org/x', '2026-01-01T00:00:00Z', '\u0000', '\ud800'));
const shaped = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), field, { maxKeys: keys.length });

const routes: { url: string; body: fc.Arbitrary<unknown> }[] = [
  { url: '/api/articles', body: fc.oneof(anyJson, shaped(['title', 'body', 'url', 'publisher', 'publishedAt'])) },
  { url: '/api/claims', body: fc.oneof(anyJson, shaped(['text', 'claimant', 'articleId'])) },
  { url: '/api/tasks/999999999/verdict', body: fc.oneof(anyJson, shaped(['rating', 'summary', 'rationale', 'citations'])) },
  { url: '/api/tasks/999999999/send-back', body: fc.oneof(anyJson, shaped(['comment'])) },
  { url: '/api/tasks/999999999/claim', body: anyJson },
  { url: '/api/claims/999999999/withdraw', body: fc.oneof(anyJson, shaped(['reason'])) },
  { url: '/api/claims/999999999/corrections', body: fc.oneof(anyJson, shaped(['reason'])) },
  { url: '/api/webhooks', body: fc.oneof(anyJson, shaped(['url', 'events', 'secret', 'description'])) },
  { url: '/api/sources', body: fc.oneof(anyJson, shaped(['url', 'title', 'publisher', 'publishedAt', 'kind', 'reliability', 'body'])) },
  { url: '/api/users', body: fc.oneof(anyJson, shaped(['name', 'role'])) },
];

describe('random bodies never cause a 500', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    // No worker: valid submissions start workflows that simply wait; only the HTTP answer matters here.
    h = await openApiHarness({ worker: false, config: { RATE_LIMIT_PER_MINUTE: '1000000' } });
  });
  afterAll(async () => h.close());

  for (const route of routes) {
    it(`POST ${route.url}`, async () => {
      await fc.assert(
        fc.asyncProperty(route.body, async (body) => {
          const res = await h.req({ method: 'POST', url: route.url, token: h.tokens.admin, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
          expect(res.statusCode, `${JSON.stringify(body)} -> ${res.body}`).toBeLessThan(500);
          expect(res.statusCode).not.toBe(429);
          expect(res.headers['content-type']).toMatch(/application\/(problem\+)?json/);
          if (res.statusCode === 400) expect(res.json<{ errors: unknown[] }>().errors.length).toBeGreaterThan(0);
        }),
        { numRuns: 120 },
      );
    });
  }

  it('text with NUL characters that reaches the database is a 400, not a 500', async () => {
    const res = await h.req({ method: 'POST', url: '/api/webhooks', token: h.tokens.admin, payload: { url: 'http://127.0.0.1:9/hook', description: 'bad \u0000 byte' } });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ detail: string }>().detail).toContain('NUL');
  });
});
