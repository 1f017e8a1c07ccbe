import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/accounts/passwords.ts';
import { setPasswordHash } from '../../db/repositories/sessions.ts';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { openApiHarness, openSecondApp, uniqueUser, type ApiHarness } from './support.ts';

/**
 * Two API instances that share nothing but Postgres (no hub, no metrics, no limiter memory): a limit counted in one
 * process's memory would let each of them grant the whole budget again.
 */
describe('rate limits hold across two API processes', () => {
  let h: ApiHarness;
  let second: FastifyInstance;
  const limits = { RATE_LIMIT_PER_MINUTE: '6', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '4', SIGNIN_FAILURES_PER_MINUTE: '3' };
  beforeAll(async () => {
    h = await openApiHarness({ worker: false, config: limits });
    second = await openSecondApp(h, { config: limits });
  });
  afterAll(async () => {
    await second.close();
    await h.close();
  });

  const apps = () => [h.app, second];
  const alternate = async (n: number, opts: InjectOptions) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await (apps()[i % 2] as FastifyInstance).inject(opts));
    return out;
  };

  it('counts one token across both processes, with RateLimit-* headers, and 429 with Retry-After past the limit', async () => {
    const { token } = await uniqueUser(h.env, 'fact_checker', 'rl');
    const res = await alternate(8, { method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    expect(res.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    expect(res.slice(0, 6).map((r) => r.headers['ratelimit-remaining'])).toEqual(['5', '4', '3', '2', '1', '0']);
    for (const r of res) {
      expect(r.headers['ratelimit-limit']).toBe('6');
      expect(Number(r.headers['ratelimit-reset'])).toBeGreaterThan(0);
      expect(Number(r.headers['ratelimit-reset'])).toBeLessThanOrEqual(60);
    }
    const refused = res[7];
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused?.headers['content-type']).toContain('application/problem+json');
    expect(refused?.json()).toMatchObject({ status: 429, detail: expect.stringMatching(/^rate limit exceeded; retry in \d+ s$/) });
    // Another token of the same address has its own budget.
    const other = await uniqueUser(h.env, 'fact_checker', 'rl2');
    expect((await second.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${other.token}` } })).statusCode).toBe(200);
  });

  it('counts anonymous requests per address across both processes', async () => {
    const from = (remoteAddress: string) => ({ method: 'GET' as const, url: '/api/claimreviews', remoteAddress });
    const res = await alternate(6, from('198.51.100.7'));
    expect(res.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(res[0]?.headers['ratelimit-limit']).toBe('4');
    // Another address is not affected.
    expect((await second.inject(from('198.51.100.8'))).statusCode).toBe(200);
  });

  it('counts failed sign-ins per address across both processes, and then refuses even the right password', async () => {
    const user = await uniqueUser(h.env, 'editor', 'rl-signin');
    const password = 'the-right-password-42';
    await setPasswordHash(h.env.db, { name: user.name }, await hashPassword(password));
    const signIn = (app: FastifyInstance, remoteAddress: string, pw: string) => app.inject({ method: 'POST', url: '/api/session', remoteAddress, payload: { name: user.name, password: pw } });
    // Successes do not count: a person signing in often never meets the limit.
    for (let i = 0; i < 4; i++) expect((await signIn(apps()[i % 2] as FastifyInstance, '198.51.100.20', password)).statusCode).toBe(200);
    expect((await signIn(h.app, '198.51.100.21', 'wrong-1')).statusCode).toBe(401);
    expect((await signIn(second, '198.51.100.21', 'wrong-2')).statusCode).toBe(401);
    expect((await signIn(h.app, '198.51.100.21', 'wrong-3')).statusCode).toBe(401);
    const blocked = await signIn(second, '198.51.100.21', password);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ detail: expect.stringMatching(/^too many failed sign-ins; retry in \d+ s$/) });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('counts wrong bearer tokens per address: a scanner gets 429 instead of more 401s', async () => {
    const guess = (app: FastifyInstance, i: number) => app.inject({ method: 'GET', url: '/api/me', remoteAddress: '198.51.100.30', headers: { authorization: `Bearer cdk_guess_${i}` } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await guess(apps()[i % 2] as FastifyInstance, i)).statusCode);
    expect(statuses).toEqual([401, 401, 429, 429, 429]);
  });
});
