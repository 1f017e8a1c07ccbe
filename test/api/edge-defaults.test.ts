import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { MAX_HEADER_BYTES } from '../../src/api/app.ts';
import { createClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { freePort } from '../../src/services/net.ts';
import { TEST_WEBHOOK_SECRET_KEY } from '../support/activity-settings.ts';
import { testLogger } from '../support/env.ts';
import { openApiHarness, type ApiHarness } from './support.ts';

const OUTSIDE = '203.0.113.9';

describe('defaults that are safe: binding and configuration', () => {
  it('binds to loopback unless HOST says otherwise, and checks INTERNAL_NETWORKS', () => {
    expect(parseConfig({}).HOST).toBe('127.0.0.1');
    expect(parseConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
    expect(parseConfig({ INTERNAL_NETWORKS: '10.0.0.0/8, fd00::/8' }).INTERNAL_NETWORKS).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(() => parseConfig({ INTERNAL_NETWORKS: '10.0.0.0/33' })).toThrow(/INTERNAL_NETWORKS/);
    expect(() => parseConfig({ INTERNAL_NETWORKS: 'intranet' })).toThrow(/INTERNAL_NETWORKS/);
    expect(() => parseConfig({ WEBHOOK_SECRET_KEY: 'too-short' })).toThrow(/WEBHOOK_SECRET_KEY/);
  });
});

describe('security headers, caching and header size on every kind of response', () => {
  let h: ApiHarness;
  let port: number;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false, config: { INTERNAL_NETWORKS: '192.0.2.0/24' } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => h.close());

  it('sends helmet headers on JSON, problem+json errors, 401s and 404s alike', async () => {
    const responses = {
      json: await h.req({ method: 'GET', url: '/api/me', token: h.tokens.editor }),
      feed: await h.req({ method: 'GET', url: '/api/claimreviews' }),
      badRequest: await h.req({ method: 'GET', url: '/api/claims?limit=abc', token: h.tokens.editor }),
      unauthorized: await h.req({ method: 'GET', url: '/api/me' }),
      notFound: await h.req({ method: 'GET', url: '/api/nothing-here', token: h.tokens.editor }),
      health: await h.req({ method: 'GET', url: '/healthz' }),
    };
    expect(responses.json.statusCode).toBe(200);
    expect(responses.badRequest.statusCode).toBe(400);
    expect(responses.unauthorized.statusCode).toBe(401);
    expect(responses.notFound.statusCode).toBe(404);
    for (const [what, res] of Object.entries(responses)) {
      expect(res.headers['x-content-type-options'], what).toBe('nosniff');
      expect(res.headers['x-frame-options'], what).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy'], what).toBe('no-referrer');
      expect(res.headers['content-security-policy'], what).toContain("default-src 'self'");
    }
  });

  it('marks authenticated JSON (and its errors) no-store; the public feed keeps its own short caching', async () => {
    for (const url of ['/api/me', '/api/claims', '/api/dashboard', '/api/claims?limit=abc']) {
      const res = await h.req({ method: 'GET', url, token: h.tokens.editor });
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    expect((await h.req({ method: 'GET', url: '/api/me' })).headers['cache-control']).toBe('no-store');
    expect((await h.req({ method: 'GET', url: '/api/claimreviews' })).headers['cache-control']).toBe('public, max-age=60');
  });

  it('answers 431 to headers beyond the limit, over real HTTP, and stays up', async () => {
    // A raw socket: Node answers 431 and closes while an http client may still be writing, which it reports as a
    // hang-up instead of the status.
    const send = (headerBytes: number) =>
      new Promise<number>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
          if (m) {
            socket.destroy();
            resolve(Number(m[1]));
          }
        });
        socket.on('error', (err) => (/^HTTP\/1\.1 (\d{3})/.test(text) ? undefined : reject(err)));
        socket.write(`GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.tokens.editor}\r\nX-Padding: ${'a'.repeat(headerBytes)}\r\nConnection: close\r\n\r\n`);
      });
    expect(MAX_HEADER_BYTES).toBeLessThanOrEqual(32 * 1024);
    expect(await send(MAX_HEADER_BYTES + 1024)).toBe(431);
    expect(await send(8 * 1024)).toBe(200);
  });

  it('/metrics: loopback, INTERNAL_NETWORKS or a token; anyone else 403', async () => {
    expect((await h.req({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    const outside = await h.req({ method: 'GET', url: '/metrics', remoteAddress: OUTSIDE });
    expect(outside.statusCode).toBe(403);
    expect(outside.body).not.toContain('claimdesk_');
    expect((await h.req({ method: 'GET', url: '/metrics', remoteAddress: OUTSIDE, token: h.tokens.fact_checker })).statusCode).toBe(200);
    expect((await h.req({ method: 'GET', url: '/metrics', remoteAddress: OUTSIDE, token: 'cdk_not_a_token' })).statusCode).toBe(403);
    expect((await h.req({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.44' })).statusCode).toBe(200);
    expect((await h.req({ method: 'GET', url: '/metrics', remoteAddress: '::ffff:192.0.2.44' })).statusCode).toBe(200);
  });
});

describe('/healthz never shows raw errors to anonymous callers from outside', () => {
  it('says "down" to them and the reason to loopback', async () => {
    const h = await openApiHarness({ worker: false });
    const deadDb = createDb(`postgres://nobody@127.0.0.1:${await freePort()}/none`, { max: 1 });
    const broken: FastifyInstance = await buildApp({
      db: deadDb,
      temporal: h.env.client,
      claimWorkflows: createClaimWorkflows(h.env.client, { taskQueue: 'edge-unused' }),
      config: loadConfig({ WEBHOOK_SECRET_KEY: TEST_WEBHOOK_SECRET_KEY }),
      log: testLogger,
      databaseUrl: h.env.databaseUrl,
    });
    try {
      const anonymous = await broken.inject({ method: 'GET', url: '/healthz', remoteAddress: OUTSIDE });
      expect(anonymous.statusCode).toBe(503);
      expect(anonymous.json()).toEqual({ db: 'down', temporal: 'ok' });
      expect(anonymous.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|nobody/);
      const internal = await broken.inject({ method: 'GET', url: '/healthz' });
      expect(internal.statusCode).toBe(503);
      expect(internal.json<{ db: string }>().db).toMatch(/^down: ./);
    } finally {
      await broken.close();
      await deadDb.destroy();
      await h.close();
    }
  });
});

describe('the public feed is served from a short cache', () => {
  it('answers a repeated page from memory within the window, and fresh without a window', async () => {
    const cached = await openApiHarness({ worker: false, publicCacheMs: 60_000 });
    try {
      const db = cached.env.db;
      const publish = async () => {
        const claim = await db.insertInto('claims').values({ text: `Feed cache claim ${Date.now()} ${Math.random()}`, status: 'verdict_recorded', fingerprint: `feed cache ${Math.random()}` }).returning(['id']).executeTakeFirstOrThrow();
        await db.insertInto('verdicts').values({ claim_id: claim.id, version: 1, rating: 'false', summary: 'No.', reviewer: 'r', approver: 'a' }).execute();
        return claim.id;
      };
      await publish();
      const first = await cached.req({ method: 'GET', url: '/api/claimreviews?limit=1' });
      const newer = await publish();
      const second = await cached.req({ method: 'GET', url: '/api/claimreviews?limit=1' });
      expect(second.body).toBe(first.body);
      expect(second.body).not.toContain(`/claims/${newer}`);
      // Another page (limit) is its own entry, computed now.
      expect((await cached.req({ method: 'GET', url: '/api/claimreviews?limit=2' })).body).toContain(`/claims/${newer}`);
    } finally {
      await cached.close();
    }
  });
});
