import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeToken } from '../../src/accounts/users.ts';
import { openApiHarness, uniqueArticle, uniqueUser, type ApiHarness } from './support.ts';

type Who = 'fact_checker' | 'editor' | 'admin';
interface RouteCase {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  allowed: 'public' | 'any' | Who[];
}

// Ids that do not exist: an allowed caller gets 404 (or 400/409), never 401/403, so access is all these prove.
const routes: RouteCase[] = [
  { method: 'POST', url: '/api/articles', body: {}, allowed: 'any' },
  { method: 'GET', url: '/api/articles/999999999', allowed: 'any' },
  { method: 'POST', url: '/api/claims', body: {}, allowed: 'any' },
  { method: 'GET', url: '/api/claims', allowed: 'any' },
  { method: 'GET', url: '/api/claims/999999999', allowed: 'any' },
  { method: 'GET', url: '/api/queue?kind=review', allowed: ['fact_checker', 'admin'] },
  { method: 'GET', url: '/api/queue?kind=approval', allowed: ['editor', 'admin'] },
  { method: 'GET', url: '/api/tasks/999999999', allowed: 'any' },
  { method: 'POST', url: '/api/tasks/999999999/claim', allowed: 'any' },
  { method: 'POST', url: '/api/tasks/999999999/release', allowed: 'any' },
  { method: 'POST', url: '/api/tasks/999999999/renew', allowed: 'any' },
  { method: 'POST', url: '/api/tasks/999999999/verdict', body: { rating: 'false', summary: 's', citations: [] }, allowed: 'any' },
  { method: 'POST', url: '/api/tasks/999999999/approve', allowed: 'any' },
  { method: 'POST', url: '/api/tasks/999999999/send-back', body: { comment: 'c' }, allowed: 'any' },
  { method: 'POST', url: '/api/claims/999999999/withdraw', body: { reason: 'r' }, allowed: ['editor', 'admin'] },
  { method: 'POST', url: '/api/claims/999999999/priority', body: { priority: 'high' }, allowed: ['editor', 'admin'] },
  { method: 'POST', url: '/api/claims/999999999/corrections', body: { reason: 'r' }, allowed: ['editor', 'admin'] },
  { method: 'GET', url: '/api/claims/999999999/live', allowed: 'any' },
  { method: 'GET', url: '/api/claims/999999999/claimreview', allowed: 'public' },
  { method: 'GET', url: '/api/claimreviews', allowed: 'public' },
  { method: 'GET', url: '/api/dashboard', allowed: ['editor', 'admin'] },
  { method: 'GET', url: '/api/sources', allowed: 'any' },
  { method: 'GET', url: '/api/sources/999999999', allowed: 'any' },
  { method: 'POST', url: '/api/sources', body: {}, allowed: ['editor', 'admin'] },
  { method: 'POST', url: '/api/webhooks', body: {}, allowed: ['editor', 'admin'] },
  { method: 'GET', url: '/api/webhooks', allowed: ['editor', 'admin'] },
  { method: 'DELETE', url: '/api/webhooks/999999999', allowed: ['editor', 'admin'] },
  { method: 'GET', url: '/api/webhooks/999999999/deliveries', allowed: ['editor', 'admin'] },
  { method: 'GET', url: '/api/me', allowed: 'any' },
  { method: 'POST', url: '/api/users', body: {}, allowed: ['admin'] },
  { method: 'POST', url: '/api/session', body: {}, allowed: 'public' },
  { method: 'DELETE', url: '/api/session', allowed: 'public' },
  { method: 'GET', url: '/api/session/demo', allowed: 'public' },
  { method: 'GET', url: '/api/users', allowed: ['admin'] },
  { method: 'PATCH', url: '/api/users/999999999', body: { role: 'editor' }, allowed: ['admin'] },
  { method: 'POST', url: '/api/users/999999999/password', body: { password: 'long-enough-password' }, allowed: ['admin'] },
  { method: 'GET', url: '/api/users/999999999/tokens', allowed: ['admin'] },
  { method: 'POST', url: '/api/users/999999999/tokens', body: {}, allowed: ['admin'] },
  { method: 'DELETE', url: '/api/tokens/999999999', allowed: ['admin'] },
  { method: 'GET', url: '/api/policy', allowed: ['admin'] },
  { method: 'POST', url: '/api/articles/preview', body: {}, allowed: 'any' },
  { method: 'POST', url: '/api/claims/999999999/evidence', body: {}, allowed: 'any' },
  { method: 'PATCH', url: '/api/claims/999999999/evidence/999999999', body: { stance: 'context' }, allowed: 'any' },
  { method: 'GET', url: '/healthz', allowed: 'public' },
  { method: 'GET', url: '/claims/999999999', allowed: 'public' },
  { method: 'GET', url: '/claims', allowed: 'public' },
  { method: 'GET', url: '/metrics', allowed: 'public' },
  { method: 'GET', url: '/docs/json', allowed: 'public' },
];

describe('role matrix', () => {
  let h: ApiHarness;
  let revoked: string;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
    const u = await uniqueUser(h.env, 'admin', 'revoked');
    await revokeToken(h.env.db, { token: u.token });
    revoked = u.token;
  });
  afterAll(async () => h.close());

  for (const route of routes) {
    it(`${route.method} ${route.url}: ${Array.isArray(route.allowed) ? route.allowed.join('/') : route.allowed}`, async () => {
      const send = (token: string | null) =>
        h.req({ method: route.method, url: route.url, token, ...(route.body !== undefined ? { payload: route.body as Record<string, unknown> } : {}) });
      for (const role of ['fact_checker', 'editor', 'admin'] as const) {
        const res = await send(h.tokens[role]);
        const ok = route.allowed === 'public' || route.allowed === 'any' || route.allowed.includes(role);
        if (ok) expect([401, 403], `${role} should be let in, got ${res.statusCode} ${res.body}`).not.toContain(res.statusCode);
        else {
          expect(res.statusCode, `${role} should be refused`).toBe(403);
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(res.json<{ detail: string }>().detail).toContain(role);
        }
      }
      for (const [label, token] of [
        ['no token', null],
        ['bad token', 'cdk_not-a-real-token'],
        ['revoked token', revoked],
      ] as const) {
        const res = await send(token);
        if (route.allowed === 'public') expect([401, 403], `${label} on a public route`).not.toContain(res.statusCode);
        else {
          expect(res.statusCode, label).toBe(401);
          expect(res.json<{ status: number; title: string }>()).toMatchObject({ status: 401, title: 'Unauthorized' });
          expect(res.headers['www-authenticate']).toContain('Bearer');
        }
      }
    });
  }

  it('a malformed Authorization header is a 401, not a 500', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(res.statusCode).toBe(401);
  });

  it('revoking a token takes effect on the next request', async () => {
    const u = await uniqueUser(h.env, 'fact_checker', 'logout');
    expect((await h.req({ method: 'GET', url: '/api/me', token: u.token })).json()).toMatchObject({ user: { name: u.name, role: 'fact_checker' } });
    const res = await h.req({ method: 'POST', url: '/api/tokens/revoke', token: u.token });
    expect(res.json()).toEqual({ revoked: 1 });
    expect((await h.req({ method: 'GET', url: '/api/me', token: u.token })).statusCode).toBe(401);
  });

  it('an admin creates users whose token works once issued', async () => {
    const name = `created-${Date.now().toString(36)}`;
    const res = await h.req({ method: 'POST', url: '/api/users', token: h.tokens.admin, payload: { name, role: 'editor' } });
    expect(res.statusCode).toBe(201);
    const { token } = res.json<{ token: string }>();
    expect((await h.req({ method: 'GET', url: '/api/dashboard', token })).statusCode).toBe(200);
    const again = await h.req({ method: 'POST', url: '/api/users', token: h.tokens.admin, payload: { name, role: 'editor' } });
    expect(again.statusCode).toBe(409);
  });
});

describe('rate limit', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false, config: { RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(async () => h.close());

  it('answers 429 with Retry-After once a token passes its per-minute budget, and counts per token', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await h.req({ method: 'GET', url: '/api/me', token: h.tokens.fact_checker });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(last?.headers['content-type']).toContain('application/problem+json');
    // Another token has its own budget.
    expect((await h.req({ method: 'GET', url: '/api/me', token: h.tokens.editor })).statusCode).toBe(200);
    const metrics = await h.req({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/claimdesk_http_rate_limited_total\{[^}]*\} 2/);
  });
});

describe('bad input', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
  });
  afterAll(async () => h.close());

  const cases: [string, string, unknown, string][] = [
    ['POST', '/api/articles', { body: 'text' }, 'title'],
    ['POST', '/api/articles', { title: 'T', body: 42 }, 'body'],
    ['POST', '/api/articles', { ...uniqueArticle(), url: 'not a url' }, 'url'],
    ['POST', '/api/articles', { ...uniqueArticle(), publishedAt: 'yesterday' }, 'publishedAt'],
    ['POST', '/api/claims', { text: '' }, 'text'],
    ['POST', '/api/claims', { text: 'Crime fell by 20% last year.', articleId: 'abc' }, 'articleId'],
    ['POST', '/api/claims', { text: 'Crime fell by 20% last year.', articleId: '999999999' }, 'articleId'],
    ['POST', '/api/tasks/1/verdict', { rating: 'pants_on_fire', summary: 's', citations: [] }, 'rating'],
    ['POST', '/api/tasks/1/verdict', { rating: 'false', summary: 's', citations: [{ stance: 'refutes' }] }, 'citations.0'],
    ['POST', '/api/tasks/1/verdict', { rating: 'false', citations: [] }, 'summary'],
    ['POST', '/api/tasks/1/send-back', {}, 'comment'],
    ['POST', '/api/webhooks', { url: 'ftp://example.com/x' }, 'url'],
    ['POST', '/api/webhooks', { url: 'http://127.0.0.1:9/x', events: ['verdict.deleted'] }, 'events.0'],
    ['POST', '/api/sources', { url: 'https://example.org/a' }, 'title'],
    ['GET', '/api/claims?limit=500', undefined, 'querystring.limit'],
    ['GET', '/api/claims?status=pending', undefined, 'querystring.status'],
    ['GET', '/api/claims?cursor=bogus', undefined, 'cursor'],
    ['GET', '/api/claims/abc', undefined, 'params.id'],
  ];
  for (const [method, url, body, field] of cases) {
    it(`${method} ${url} ${JSON.stringify(body) ?? ''} is a 400 naming ${field}`, async () => {
      const res = await h.req({ method: method as 'GET', url, token: h.tokens.admin, ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}) });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json<{ type: string; title: string; status: number; detail: string; errors: { field: string; message: string }[] }>();
      expect(problem).toMatchObject({ status: 400, title: 'Bad Request' });
      expect(problem.errors.map((e) => e.field)).toContain(field);
      expect(problem.detail).toContain(field);
    });
  }

  it('rejects an article with a NUL byte, naming the problem', async () => {
    const res = await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.fact_checker, payload: { title: 'NUL', body: 'The rate rose by 5%.\u0000 Then it fell.' } });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ detail: string }>().detail).toMatch(/body: .*NUL/);
  });

  it('rejects an article with an unpaired surrogate as invalid Unicode', async () => {
    const res = await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.fact_checker, payload: `{"title":"T","body":"broken \\ud800 text"}`, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ detail: string }>().detail).toMatch(/body: .*(Unicode|UTF-8)/);
  });

  it('answers 413 for a body over 2 MB', async () => {
    const res = await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.fact_checker, payload: { title: 'big', body: 'a'.repeat(2 * 1024 * 1024 + 10) } });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('answers 400 for JSON that does not parse, and for a non-JSON content type a 415', async () => {
    const broken = await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.fact_checker, payload: '{"title": ', headers: { 'content-type': 'application/json' } });
    expect(broken.statusCode).toBe(400);
    const xml = await h.req({ method: 'POST', url: '/api/articles', token: h.tokens.fact_checker, payload: '<a/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.statusCode).toBe(415);
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const res = await h.req({ method: 'GET', url: '/api/nope', token: h.tokens.fact_checker });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });
});
