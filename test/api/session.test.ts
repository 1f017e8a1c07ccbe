import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPasswordHash } from '../../db/repositories/sessions.ts';
import { hashPassword, verifyPassword } from '../../src/accounts/passwords.ts';
import { setUserPassword } from '../../src/accounts/user-admin.ts';
import { findUserForSignIn } from '../../db/repositories/sessions.ts';
import { SESSION_COOKIE, hashSessionId, sessionSettings, startSession } from '../../src/api/session.ts';
import { openApiHarness, uniqueUser, type ApiHarness } from './support.ts';

const HOST = 'claimdesk.test';
const ORIGIN = `http://${HOST}`;

/** The session cookie's value from a Set-Cookie answer, and the header itself. */
function sessionCookieOf(res: { headers: Record<string, unknown> }): { value: string; header: string } {
  const raw = res.headers['set-cookie'];
  const header = (Array.isArray(raw) ? raw : [raw]).map(String).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!header) throw new Error(`no ${SESSION_COOKIE} cookie in ${JSON.stringify(raw)}`);
  return { value: header.slice(SESSION_COOKIE.length + 1).split(';')[0] ?? '', header };
}

describe('passwords', () => {
  it('are stored as salted scrypt strings with their parameters, never in plain text', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toContain('correct horse');
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterz', a)).toBe(false);
    expect(await verifyPassword('correct horse battery', null)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});

describe('cookie sessions', () => {
  let h: ApiHarness;
  let baseUrl: string;
  const password = 'tea-and-biscuits-42';
  let editor: { name: string; token: string };
  beforeAll(async () => {
    h = await openApiHarness({ worker: false, heartbeatMs: 100, config: { SIGNIN_FAILURES_PER_MINUTE: '10' } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    editor = await uniqueUser(h.env, 'editor', 'sess-ed');
    await setPasswordHash(h.env.db, { name: editor.name }, await hashPassword(password));
  });
  afterAll(async () => h.close());

  const signIn = (name: string, pw: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/api/session', headers: { host: HOST, origin: ORIGIN, ...headers }, payload: { name, password: pw } });
  const withCookie = (value: string, extra: Record<string, string> = {}) => ({ host: HOST, cookie: `${SESSION_COOKIE}=${value}`, ...extra });

  it('signs in with name and password and sets an httpOnly, SameSite=Strict session cookie with an expiry', async () => {
    const res = await signIn(editor.name, password);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ user: { name: editor.name, role: 'editor' }, expiresAt: expect.any(String) });
    const { value, header } = sessionCookieOf(res);
    expect(value.length).toBeGreaterThanOrEqual(40);
    expect(header).toMatch(/; HttpOnly/);
    expect(header).toMatch(/; SameSite=Strict/);
    expect(header).toMatch(/; Path=\//);
    expect(header).toMatch(/; Expires=/);
    expect(header).not.toMatch(/; Secure/);
    // Only a hash of the id is stored.
    const rows = await h.env.db.selectFrom('sessions').select(['id_hash']).where('id_hash', '=', value).execute();
    expect(rows).toHaveLength(0);
    expect(await h.env.db.selectFrom('sessions').select('id').where('id_hash', '=', hashSessionId(value)).executeTakeFirst()).toBeDefined();

    const me = await h.app.inject({ method: 'GET', url: '/api/session', headers: withCookie(value) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { name: editor.name } });
    // Every /api route takes the cookie.
    const claims = await h.app.inject({ method: 'GET', url: '/api/me', headers: withCookie(value) });
    expect(claims.statusCode).toBe(200);
    expect(claims.json()).toMatchObject({ user: { name: editor.name } });
  });

  it('answers a wrong password and an unknown user with the same 401', async () => {
    const wrong = await signIn(editor.name, 'not-the-password');
    const unknown = await signIn(`nobody-${Date.now()}`, password);
    const noPassword = await signIn(h.names.fact_checker, password);
    for (const res of [wrong, unknown, noPassword]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(wrong.json().detail).toBe('name or password is wrong');
    expect(unknown.json()).toEqual(wrong.json());
    expect(noPassword.json()).toEqual(wrong.json());
    expect((await h.app.inject({ method: 'GET', url: '/api/session' })).statusCode).toBe(401);
  });

  it('counts sign-in attempts by address first: one address over its limit cannot lock out other names', async () => {
    const target = await uniqueUser(h.env, 'fact_checker', 'sess-target');
    await setPasswordHash(h.env.db, { name: target.name }, await hashPassword(password));
    const from = (remoteAddress: string, name: string, pw: string) =>
      h.app.inject({ method: 'POST', url: '/api/session', remoteAddress, headers: { host: HOST, origin: ORIGIN }, payload: { name, password: pw } });
    // One address spends its ten attempts a minute on a name of its own, then tries the target's name many times.
    for (let i = 0; i < 10; i++) expect((await from('10.9.8.7', `nobody-${i}-${Date.now()}`, 'wrong-password-1')).statusCode).toBe(401);
    for (let i = 0; i < 12; i++) expect((await from('10.9.8.7', target.name, 'wrong-password-1')).statusCode).toBe(429);
    // Those refusals never counted against the target's name: its owner signs in from elsewhere.
    expect((await from('10.1.2.3', target.name, password)).statusCode).toBe(200);
  });

  it('a sign-in whose password was reset while it was being checked gets no session', async () => {
    const user = await uniqueUser(h.env, 'fact_checker', 'sess-race');
    await setPasswordHash(h.env.db, { name: user.name }, await hashPassword(password));
    const checked = (await findUserForSignIn(h.env.db, user.name))?.password_hash ?? '';
    expect(await verifyPassword(password, checked)).toBe(true);
    // An admin resets the password between the check and the session's start.
    await setUserPassword(h.env.db, { name: user.name }, 'a-new-password-77');
    const settings = sessionSettings({ SESSION_IDLE_HOURS: 12, NODE_ENV: 'test' });
    const row = await findUserForSignIn(h.env.db, user.name);
    expect(await startSession(h.env.db, row?.id ?? '', checked, settings)).toBeNull();
    expect(await startSession(h.env.db, row?.id ?? '', row?.password_hash ?? '', settings)).not.toBeNull();
  });

  it('names the field of a bad sign-in body', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/session', payload: { name: editor.name } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('password');
  });

  it('sign-out ends the session on the server, not only in the browser', async () => {
    const { value } = sessionCookieOf(await signIn(editor.name, password));
    const out = await h.app.inject({ method: 'DELETE', url: '/api/session', headers: withCookie(value, { origin: ORIGIN }) });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE}=;`));
    // Replaying the old cookie is refused.
    expect((await h.app.inject({ method: 'GET', url: '/api/session', headers: withCookie(value) })).statusCode).toBe(401);
    const me = await h.app.inject({ method: 'GET', url: '/api/me', headers: withCookie(value) });
    expect(me.statusCode).toBe(401);
    const row = await h.env.db.selectFrom('sessions').select('revoked_at').where('id_hash', '=', hashSessionId(value)).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
  });

  it('expires after the idle limit and after seven days in any case', async () => {
    const idle = sessionCookieOf(await signIn(editor.name, password)).value;
    const old = sessionCookieOf(await signIn(editor.name, password)).value;
    await h.env.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 13 * 3600_000) }).where('id_hash', '=', hashSessionId(idle)).execute();
    await h.env.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id_hash', '=', hashSessionId(old)).execute();
    for (const value of [idle, old]) {
      expect((await h.app.inject({ method: 'GET', url: '/api/session', headers: withCookie(value) })).statusCode).toBe(401);
      const me = await h.app.inject({ method: 'GET', url: '/api/me', headers: withCookie(value) });
      expect(me.statusCode).toBe(401);
      expect(me.json().detail).toMatch(/session has ended/);
    }
  });

  it('refuses a cookie-authenticated change from another origin or without one; same origin and bearer pass', async () => {
    const { value } = sessionCookieOf(await signIn(editor.name, password));
    const source = () => ({ url: `https://stats.example.gov/sess-${Math.random().toString(36).slice(2)}`, title: 'Session origin test', kind: 'official_statistics', reliability: 0.5 });
    const evil = await h.app.inject({ method: 'POST', url: '/api/sources', headers: withCookie(value, { origin: 'https://evil.example' }), payload: source() });
    expect(evil.statusCode).toBe(403);
    expect(evil.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(evil.json().detail).toBe('cross-origin request refused');
    const none = await h.app.inject({ method: 'POST', url: '/api/sources', headers: withCookie(value), payload: source() });
    expect(none.statusCode).toBe(403);
    const same = await h.app.inject({ method: 'POST', url: '/api/sources', headers: withCookie(value, { origin: ORIGIN }), payload: source() });
    expect(same.statusCode, same.body).toBe(201);
    // GETs are not origin-checked; bearer requests never are.
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: withCookie(value, { origin: 'https://evil.example' }) })).statusCode).toBe(200);
    const bearer = await h.req({ method: 'POST', url: '/api/sources', token: editor.token, headers: { origin: 'https://evil.example' }, payload: source() });
    expect(bearer.statusCode).toBe(201);
    // A sign-in posted from another site is refused too.
    expect((await signIn(editor.name, password, { origin: 'https://evil.example' })).statusCode).toBe(403);
    // Sign-out from elsewhere does not end the session.
    expect((await h.app.inject({ method: 'DELETE', url: '/api/session', headers: withCookie(value, { origin: 'https://evil.example' }) })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/api/session', headers: withCookie(value) })).statusCode).toBe(200);
  });

  it('serves Server-Sent Events to the cookie (EventSource cannot send a header)', async () => {
    const { value } = sessionCookieOf(await signIn(editor.name, password));
    const controller = new AbortController();
    const res = await fetch(`${baseUrl}/api/events`, { headers: { cookie: `${SESSION_COOKIE}=${value}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes(': connected')) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(chunk);
    }
    expect(text).toContain(': connected');
    controller.abort();
    expect((await fetch(`${baseUrl}/api/events`, { headers: { cookie: `${SESSION_COOKIE}=forged-value-that-is-long-enough-to-check` } })).status).toBe(401);
  });

  it('lists no demo users outside demo mode', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/session/demo' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ demo: false, users: [] });
  });
});

describe('cookie sessions in production and in demo mode', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false, config: { NODE_ENV: 'production', ACTOR_SIGNING_KEY: 'k'.repeat(32) }, demo: { users: [{ name: 'ana', role: 'fact_checker', password: 'demo-pass-1234' }] } });
  });
  afterAll(async () => h.close());

  it('marks the cookie Secure when NODE_ENV=production', async () => {
    const user = await uniqueUser(h.env, 'fact_checker', 'sess-prod');
    await setPasswordHash(h.env.db, { name: user.name }, await hashPassword('production-password'));
    const res = await h.app.inject({ method: 'POST', url: '/api/session', payload: { name: user.name, password: 'production-password' } });
    expect(res.statusCode).toBe(200);
    expect(sessionCookieOf(res).header).toMatch(/; Secure/);
  });

  it('lists the demo users with their passwords in demo mode', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/session/demo' });
    expect(res.json()).toEqual({ demo: true, users: [{ name: 'ana', role: 'fact_checker', password: 'demo-pass-1234' }] });
  });
});
