import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CSP, DOCS_CSP } from '../../src/api/web-app.ts';
import { openApiHarness, type ApiHarness } from './support.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

describe('serving the web app', () => {
  let h: ApiHarness;
  let dist: string;
  beforeAll(async () => {
    dist = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-dist-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), INDEX);
    writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log("app");\n');
    writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    h = await openApiHarness({ worker: false, webDist: dist });
  });
  afterAll(async () => {
    await h.close();
    rmSync(dist, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = HTML) => h.app.inject({ method: 'GET', url, headers });

  it('serves index.html at / and at every app path, with the strict CSP and security headers', async () => {
    for (const url of ['/', '/signin', '/queue?filter=mine', '/tasks/12', '/workspace/42', '/dashboard', '/admin']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toBe(INDEX);
      expect(res.headers['content-security-policy']).toBe(APP_CSP);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    }
    expect(APP_CSP).toContain("script-src 'self'");
    expect(APP_CSP).not.toContain('unsafe-inline');
  });

  it('serves hashed assets for a year and top-level files as themselves', async () => {
    const js = await get('/assets/index-abc123.js', {});
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toMatch(/immutable/);
    const icon = await get('/favicon.svg', {});
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toMatch(/svg/);
    for (const url of ['/assets/missing.js', '/robots.txt', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/application\/problem\+json/);
    }
  });

  it('never swallows the API, public verdict pages, docs, metrics or health', async () => {
    const api = await get('/api/nothing-here');
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(api.json()).toMatchObject({ status: 404 });
    expect((await get('/api')).statusCode).toBe(404);
    const page = await get('/claims/999999999');
    expect(page.statusCode).toBe(404);
    expect(page.body).not.toBe(INDEX);
    // The verdict pages keep their own, stricter policy.
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect((await get('/claims')).headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect((await get('/claims/1/extra')).statusCode).toBe(404);
    expect((await get('/metrics', {})).statusCode).toBe(200);
    expect((await get('/healthz', {})).body).not.toBe(INDEX);
    const docs = await get('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger-ui');
    expect(docs.headers['content-security-policy']).toBe(DOCS_CSP);
    expect((await get('/docs/static/swagger-initializer.js', {})).statusCode).toBe(200);
    expect((await get('/docs/json', {})).json()).toMatchObject({ openapi: '3.1.0' });
    expect((await get('/docs/nothing')).statusCode).toBe(404);
    // Not asking for HTML (a script's fetch) is a 404, not the app's page.
    expect((await get('/queue', { accept: 'application/json' })).statusCode).toBe(404);
    // A broken escape is the client's mistake, not a crash.
    expect([400, 404]).toContain((await get('/%E0%A4%A')).statusCode);
    expect((await h.app.inject({ method: 'POST', url: '/queue', headers: HTML })).statusCode).toBe(404);
    // A trailing or doubled slash does not turn those paths into the app.
    for (const path of ['/healthz/', '/metrics/', '//api/x', '/api/', '//claims/1']) expect((await get(path)).body, path).not.toBe(INDEX);
  });

  it('sends the security headers on API answers too', async () => {
    const res = await h.req({ method: 'GET', url: '/api/me', token: h.tokens.editor });
    expect(res.headers['content-security-policy']).toBe(APP_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('before the web app is built', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false, webDist: path.join(os.tmpdir(), `claimdesk-no-dist-${process.pid}`) });
  });
  afterAll(async () => h.close());

  it('answers / with a 503 that says how to build it, as HTML or problem+json', async () => {
    const html = await h.app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(html.statusCode).toBe(503);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toContain('npm run build:web');
    const json = await h.app.inject({ method: 'GET', url: '/queue', headers: { accept: 'text/html' } });
    expect(json.statusCode).toBe(503);
    const problem = await h.app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } });
    expect(problem.statusCode).toBe(503);
    expect(problem.json().detail).toContain('npm run build:web');
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).not.toBe(503 + 1);
  });
});
