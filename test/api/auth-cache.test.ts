import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, hashToken, revokeToken } from '../../src/accounts/users.ts';
import { AuthCache } from '../../src/api/auth-cache.ts';
import { loadConfig } from '../../src/config/index.ts';
import { testLogger } from '../support/env.ts';
import { openApiHarness, openSecondApp, uniqueUser, type ApiHarness } from './support.ts';

/** Polls until `check` holds (a notification is asynchronous); fails after `ms`. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('token cache', () => {
  let h: ApiHarness;
  let second: FastifyInstance;
  const secondListen = `claimdesk-auth-test-${randomUUID().slice(0, 8)}`;
  const caches: AuthCache[] = [];
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
    // A second API process sharing only Postgres with the first.
    second = await openSecondApp(h, { config: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000', SIGNIN_FAILURES_PER_MINUTE: '1000000' }, options: { authListenName: secondListen } });
    await eventually('second app LISTENs', () => listening(secondListen), 10_000);
  });
  afterAll(async () => {
    for (const c of caches) await c.close();
    await second.close();
    await h.close();
  });

  const listening = async (name: string) => {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ${name} AND datname = current_database() AND query ILIKE 'LISTEN%' AND state = 'idle'`.execute(h.env.db);
    return Number(rows[0]?.n) > 0;
  };
  const terminate = async (name: string) => {
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${name} AND datname = current_database()`.execute(h.env.db);
  };
  /** Revokes a token with the triggers switched off for this transaction: no notification, as if it were lost. */
  const revokeSilently = async (token: string) => {
    await h.env.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await trx.updateTable('api_tokens').set({ revoked_at: new Date() }).where('token_hash', '=', hashToken(token)).execute();
    });
  };
  const me = (app: FastifyInstance, token: string) => app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
  const newCache = (opts: { ttlMs: number; retryMs?: number }) => {
    const name = `claimdesk-auth-test-${randomUUID().slice(0, 8)}`;
    const cache = new AuthCache(h.env.databaseUrl, testLogger, { ...opts, applicationName: name });
    caches.push(cache);
    cache.start();
    return { cache, name };
  };

  it('serves a token from memory while nothing is notified (what the later tests rely on)', async () => {
    const u = await uniqueUser(h.env, 'fact_checker', 'cache-hit');
    expect((await me(second, u.token)).statusCode).toBe(200);
    await revokeSilently(u.token);
    // No notification went out, so the second process still has the lookup it made a moment ago.
    expect((await me(second, u.token)).statusCode).toBe(200);
    // Any notification empties the cache.
    await sql`SELECT pg_notify('claimdesk_auth', 'test')`.execute(h.env.db);
    await eventually('revoked token refused', async () => (await me(second, u.token)).statusCode === 401);
  });

  it('refuses a token revoked through the other process on the next request after the notification', async () => {
    const u = await uniqueUser(h.env, 'fact_checker', 'cache-other');
    expect((await me(second, u.token)).statusCode).toBe(200);
    expect((await h.req({ method: 'POST', url: '/api/tokens/revoke', token: u.token })).statusCode).toBe(200);
    // The revoking process cleared its own cache before answering.
    expect((await me(h.app, u.token)).statusCode).toBe(401);
    await eventually('second process refuses', async () => (await me(second, u.token)).statusCode === 401);
  });

  it('the process that revokes or disables clears its own cache before answering, without waiting for the notification', async () => {
    await eventually('first app LISTENs', () => listening('claimdesk-auth'), 10_000);
    const [a, b, c] = [await uniqueUser(h.env, 'editor', 'sync-a'), await uniqueUser(h.env, 'editor', 'sync-b'), await uniqueUser(h.env, 'editor', 'sync-c')];
    const tokenId = (await h.env.db.selectFrom('api_tokens').select('id').where('token_hash', '=', hashToken(b.token)).executeTakeFirstOrThrow()).id;
    const userId = (await h.env.db.selectFrom('users').select('id').where('name', '=', c.name).executeTakeFirstOrThrow()).id;
    for (const app of [h.app, second]) for (const u of [a, b, c]) expect((await me(app, u.token)).statusCode).toBe(200);
    // This file's database only: no notification reaches anyone, so only the revoking process's own clear can help.
    await sql`ALTER TABLE api_tokens DISABLE TRIGGER api_tokens_auth_changed`.execute(h.env.db);
    await sql`ALTER TABLE users DISABLE TRIGGER users_auth_changed`.execute(h.env.db);
    try {
      expect((await h.req({ method: 'POST', url: '/api/tokens/revoke', token: a.token })).statusCode).toBe(200);
      expect((await me(h.app, a.token)).statusCode).toBe(401);
      expect((await h.req({ method: 'DELETE', url: `/api/tokens/${tokenId}`, token: h.tokens.admin })).statusCode).toBe(204);
      expect((await me(h.app, b.token)).statusCode).toBe(401);
      expect((await h.req({ method: 'PATCH', url: `/api/users/${userId}`, token: h.tokens.admin, payload: { disabled: true } })).statusCode).toBe(200);
      expect((await me(h.app, c.token)).statusCode).toBe(401);
      // The other process heard nothing and still has its lookups: the triggers really were off.
      expect((await me(second, a.token)).statusCode).toBe(200);
    } finally {
      await sql`ALTER TABLE api_tokens ENABLE TRIGGER api_tokens_auth_changed`.execute(h.env.db);
      await sql`ALTER TABLE users ENABLE TRIGGER users_auth_changed`.execute(h.env.db);
      await sql`SELECT pg_notify('claimdesk_auth', 'test')`.execute(h.env.db);
    }
  });

  it('refuses a token revoked by the CLI path and a user disabled by a direct SQL UPDATE', async () => {
    const a = await uniqueUser(h.env, 'editor', 'cache-cli');
    const b = await uniqueUser(h.env, 'editor', 'cache-sql');
    for (const app of [h.app, second]) {
      expect((await me(app, a.token)).statusCode).toBe(200);
      expect((await me(app, b.token)).statusCode).toBe(200);
    }
    await revokeToken(h.env.db, { token: a.token });
    await sql`UPDATE users SET disabled_at = now() WHERE name = ${b.name}`.execute(h.env.db);
    for (const app of [h.app, second]) {
      await eventually('revoked token refused', async () => (await me(app, a.token)).statusCode === 401);
      await eventually('disabled user refused', async () => (await me(app, b.token)).statusCode === 401);
    }
  });

  it('takes a role change into account once notified', async () => {
    const u = await uniqueUser(h.env, 'admin', 'cache-role');
    expect((await second.inject({ method: 'GET', url: '/api/users', headers: { authorization: `Bearer ${u.token}` } })).statusCode).toBe(200);
    await sql`UPDATE users SET role = 'fact_checker' WHERE name = ${u.name}`.execute(h.env.db);
    await eventually('demoted admin refused', async () => (await second.inject({ method: 'GET', url: '/api/users', headers: { authorization: `Bearer ${u.token}` } })).statusCode === 403);
  });

  it('notifies for revocations but not for the once-a-minute last_used_at stamp (which would empty every cache all the time)', async () => {
    const u = await uniqueUser(h.env, 'fact_checker', 'cache-stamp');
    const heard: string[] = [];
    const client = new pg.Client({ connectionString: h.env.databaseUrl });
    await client.connect();
    try {
      client.on('notification', (m) => heard.push(m.payload ?? ''));
      await client.query('LISTEN claimdesk_auth');
      await sql`UPDATE api_tokens SET last_used_at = now() WHERE token_hash = ${hashToken(u.token)}`.execute(h.env.db);
      // Notifications arrive in commit order: once the probe is here, one from the stamp would have been too.
      await sql`SELECT pg_notify('claimdesk_auth', 'probe')`.execute(h.env.db);
      await eventually('probe heard', () => heard.includes('probe'));
      expect(heard).toEqual(['probe']);
      await revokeToken(h.env.db, { token: u.token });
      await eventually('revocation heard', () => heard.includes('api_tokens'));
    } finally {
      await client.end();
    }
  });

  it('asks Postgres every time while its LISTEN connection is down, and starts empty when it is back', async () => {
    const { cache, name } = newCache({ ttlMs: 60_000, retryMs: 60_000 });
    await eventually('cache usable', () => cache.usable, 10_000);
    const u = await uniqueUser(h.env, 'fact_checker', 'cache-down');
    expect(await authenticate(h.env.db, u.token, cache)).not.toBeNull();
    expect(cache.size).toBe(1);
    await terminate(name);
    await eventually('cache unusable', () => !cache.usable);
    expect(cache.size).toBe(0);
    // Looked up while down: not kept, so a revocation nobody heard of takes effect on the next request.
    expect(await authenticate(h.env.db, u.token, cache)).not.toBeNull();
    expect(cache.size).toBe(0);
    await revokeSilently(u.token);
    expect(await authenticate(h.env.db, u.token, cache)).toBeNull();

    const quick = newCache({ ttlMs: 60_000, retryMs: 50 });
    await eventually('cache usable', () => quick.cache.usable, 10_000);
    const v = await uniqueUser(h.env, 'fact_checker', 'cache-back');
    expect(await authenticate(h.env.db, v.token, quick.cache)).not.toBeNull();
    await terminate(quick.name);
    await eventually('emptied when the connection dropped', () => quick.cache.size === 0);
    await eventually('LISTEN back', async () => quick.cache.usable && (await listening(quick.name)), 5000);
    expect(quick.cache.size).toBe(0);
    expect(await authenticate(h.env.db, v.token, quick.cache)).not.toBeNull();
    expect(quick.cache.size).toBe(1);
  });

  it('AUTH_CACHE_MS=0 turns the cache off', async () => {
    const { cache } = newCache({ ttlMs: 0 });
    expect(cache.usable).toBe(false);
    const u = await uniqueUser(h.env, 'fact_checker', 'cache-off');
    expect(await authenticate(h.env.db, u.token, cache)).not.toBeNull();
    await revokeSilently(u.token);
    expect(await authenticate(h.env.db, u.token, cache)).toBeNull();
    expect(loadConfig({ AUTH_CACHE_MS: '0' }).AUTH_CACHE_MS).toBe(0);
    expect(loadConfig({}).AUTH_CACHE_MS).toBe(5000);
  });

  it('keeps at most maxEntries lookups, dropping the least recently used', async () => {
    const name = `claimdesk-auth-test-${randomUUID().slice(0, 8)}`;
    const cache = new AuthCache(h.env.databaseUrl, testLogger, { ttlMs: 60_000, maxEntries: 2, applicationName: name });
    caches.push(cache);
    cache.start();
    await eventually('cache usable', () => cache.usable, 10_000);
    const [a, b, c] = [await uniqueUser(h.env, 'editor', 'lru-a'), await uniqueUser(h.env, 'editor', 'lru-b'), await uniqueUser(h.env, 'editor', 'lru-c')];
    await authenticate(h.env.db, a.token, cache);
    await authenticate(h.env.db, b.token, cache);
    await authenticate(h.env.db, a.token, cache); // a is now the most recent
    await authenticate(h.env.db, c.token, cache); // b goes
    expect(cache.size).toBe(2);
    await revokeSilently(a.token);
    await revokeSilently(b.token);
    expect(await authenticate(h.env.db, a.token, cache)).not.toBeNull();
    expect(await authenticate(h.env.db, b.token, cache)).toBeNull();
  });
});
