import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/index.ts';
import { hashToken } from '../../src/accounts/users.ts';
import { openApiHarness, openSecondApp, uniqueUser, type ApiHarness } from './support.ts';

/**
 * The rate-limit store counts locally far from a limit and per request near it. Each app here has its own Db whose
 * statements on rate_limits are counted, so a test can see how many round trips the limiter made.
 */
describe('batched rate-limit counting', () => {
  let h: ApiHarness;
  const apps: { app: FastifyInstance; db: Db; upserts: () => number }[] = [];

  const appWith = async (limit: string) => {
    let upserts = 0;
    const db = createDb(h.env.databaseUrl, {
      max: 5,
      log: (event) => {
        if (event.level === 'query' && /INSERT INTO rate_limits/.test(event.query.sql)) upserts++;
      },
    });
    const app = await openSecondApp(h, { db, config: { RATE_LIMIT_PER_MINUTE: limit, RATE_LIMIT_ANONYMOUS_PER_MINUTE: limit } });
    const entry = { app, db, upserts: () => upserts };
    apps.push(entry);
    return entry;
  };
  const tokenKey = async (token: string) => {
    const row = await h.env.db.selectFrom('api_tokens').select('id').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();
    return `token:${row.id}`;
  };
  const hitsOf = async (key: string) => (await h.env.db.selectFrom('rate_limits').select('hits').where('key', '=', key).executeTakeFirst())?.hits ?? 0;

  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
  });
  afterAll(async () => {
    for (const a of apps) {
      await a.app.close().catch(() => undefined);
      await a.db.destroy();
    }
    await h.close();
  });

  it('refuses exactly the (limit+1)th request of a token shared by two processes', async () => {
    const [a, b] = [await appWith('100'), await appWith('100')];
    const { token } = await uniqueUser(h.env, 'fact_checker', 'rlb-exact');
    const statuses: number[] = [];
    for (let i = 0; i < 106; i++) {
      const app = (i % 2 === 0 ? a : b) as { app: FastifyInstance };
      statuses.push((await app.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } })).statusCode);
    }
    expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(100)).toEqual([429, 429, 429, 429, 429, 429]);
    // Both processes counted per request near the limit, and far from it did not.
    expect(a?.upserts()).toBeLessThan(53);
  });

  it('refuses exactly at the limit when the key is already near it (both processes per request)', async () => {
    const [a, b] = [await appWith('100'), await appWith('100')];
    const { token } = await uniqueUser(h.env, 'fact_checker', 'rlb-near');
    const key = await tokenKey(token);
    await h.env.db.insertInto('rate_limits').values({ key, hits: 90, window_end: new Date(Date.now() + 60_000) }).execute();
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await (i % 2 === 0 ? a : b).app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } })).statusCode);
    expect(statuses).toEqual([...Array<number>(10).fill(200), 429, 429, 429, 429]);
  });

  it('writes a flood far below the limit in a few upserts, losing no hit', async () => {
    const a = await appWith('100000');
    const { token } = await uniqueUser(h.env, 'fact_checker', 'rlb-flood');
    const key = await tokenKey(token);
    const before = a.upserts();
    const n = 400;
    for (let i = 0; i < n; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => a.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } })));
      expect(batch.every((r) => r.statusCode === 200)).toBe(true);
    }
    const during = a.upserts() - before;
    expect(during).toBeLessThan(n / 10);
    // Closing writes what is still counted only here.
    await a.app.close();
    expect(await hitsOf(key)).toBe(n);
  });

  it('keeps the RateLimit-* headers while counting locally', async () => {
    const a = await appWith('1000');
    const { token } = await uniqueUser(h.env, 'fact_checker', 'rlb-headers');
    const res = [];
    for (let i = 0; i < 5; i++) res.push(await a.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } }));
    expect(res.map((r) => r.headers['ratelimit-remaining'])).toEqual(['999', '998', '997', '996', '995']);
    for (const r of res) {
      expect(r.headers['ratelimit-limit']).toBe('1000');
      expect(Number(r.headers['ratelimit-reset'])).toBeGreaterThan(0);
      expect(Number(r.headers['ratelimit-reset'])).toBeLessThanOrEqual(60);
    }
  });
});
