import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/index.ts';
import { installErrorHandler } from '../../src/api/errors.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { fileDatabaseUrl } from '../support/test-database.ts';

describe('reliability: a database connection cut while a query runs on it', () => {
  let proxy: TcpProxy;
  let db: Db;
  let app: FastifyInstance;
  beforeAll(async () => {
    const direct = new URL(await fileDatabaseUrl());
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const proxied = new URL(direct);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    db = createDb(proxied.toString(), { max: 3 });
    // The API's one error handler in front of the two shapes a request's database work takes.
    app = Fastify();
    installErrorHandler(app);
    app.get('/query', async () => (await sql<{ slept: string }>`select pg_sleep(5)::text as slept`.execute(db)).rows);
    app.get('/transaction', async () =>
      db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        return (await sql<{ slept: string }>`select pg_sleep(5)::text as slept`.execute(trx)).rows;
      }),
    );
  });
  afterAll(async () => {
    await app?.close();
    await db?.destroy();
    await proxy?.close();
  });

  it('answers 503 for the query and the transaction it broke, keeps the process alive, and reconnects afterwards', async () => {
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    // Checked-out clients mid-query: pg fails their queries and also emits 'error' on each client; unheard, that
    // event is an uncaught exception that kills the process (and fails this run as an unhandled error).
    const answers = Promise.all([app.inject({ url: '/query' }), app.inject({ url: '/transaction' })]);
    await new Promise((r) => setTimeout(r, 500));
    proxy.cut();
    for (const res of await answers) {
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json<{ detail: string }>().detail).toBe('the database is unavailable; try again shortly');
    }
    // While cut, a new connection is refused: also a 503.
    expect((await app.inject({ url: '/query' })).statusCode).toBe(503);
    proxy.restore();
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });
});
