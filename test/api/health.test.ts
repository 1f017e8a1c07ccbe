import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { createClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { createDb } from '../../db/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { freePort } from '../../src/services/net.ts';
import { openTestEnv, testLogger, type TestEnv } from '../support/env.ts';

describe('GET /healthz', () => {
  let env: TestEnv;
  let app: FastifyInstance;
  let unused: ReturnType<typeof createClaimWorkflows>;
  beforeAll(async () => {
    env = await openTestEnv();
    unused = createClaimWorkflows(env.client, { taskQueue: 'health-unused' });
    app = await buildApp({ db: env.db, temporal: env.client, claimWorkflows: unused, config: loadConfig(), log: testLogger, databaseUrl: env.databaseUrl });
  });
  afterAll(async () => {
    await app.close();
    await env.close();
  });

  it('answers 200 with db and temporal ok when both are reachable', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ db: 'ok', temporal: 'ok' });
  });

  it('answers 503 naming the database when Postgres is unreachable', async () => {
    const deadDb = createDb(`postgres://nobody@127.0.0.1:${await freePort()}/none`, { max: 1 });
    const broken = await buildApp({ db: deadDb, temporal: env.client, claimWorkflows: unused, config: loadConfig(), log: testLogger, databaseUrl: env.databaseUrl });
    try {
      const res = await broken.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(503);
      const body = res.json<{ db: string; temporal: string }>();
      expect(body.db).toMatch(/^down/);
      expect(body.temporal).toBe('ok');
      // Any route that needs the database says so with a retryable 503, not a 500.
      const api = await broken.inject({ method: 'GET', url: '/api/claims', headers: { authorization: 'Bearer cdk_whatever' } });
      expect(api.statusCode).toBe(503);
      expect(api.headers['retry-after']).toBe('5');
      expect(api.json()).toMatchObject({ status: 503, detail: 'the database is unavailable; try again shortly' });
    } finally {
      await broken.close();
      await deadDb.destroy();
    }
  });

  it('answers 503 naming temporal when the Temporal server is unreachable', async () => {
    // No retry interceptor: the health check gives up by itself, and a retry the SDK still had scheduled would fire
    // on the closed channel once the test is over (an uncaught 'Channel has been shut down').
    const connection = await Connection.connect({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500, interceptors: [] }).catch(() => null);
    // A lazy connection lets us hold a client whose server is gone.
    const lazy = connection ?? Connection.lazy({ address: `127.0.0.1:${await freePort()}`, interceptors: [] });
    const client = new Client({ connection: lazy, namespace: 'default' });
    const broken = await buildApp({ db: env.db, temporal: client, claimWorkflows: unused, config: loadConfig(), log: testLogger, databaseUrl: env.databaseUrl });
    try {
      const res = await broken.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(503);
      const body = res.json<{ db: string; temporal: string }>();
      expect(body.db).toBe('ok');
      expect(body.temporal).toMatch(/^down/);
    } finally {
      await broken.close();
      await lazy.close();
    }
  });
});
