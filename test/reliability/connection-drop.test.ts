import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/index.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { fileDatabaseUrl } from '../support/test-database.ts';

describe('reliability: a database connection cut while a query runs on it', () => {
  let proxy: TcpProxy;
  let db: Db;
  beforeAll(async () => {
    const direct = new URL(await fileDatabaseUrl());
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const proxied = new URL(direct);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    db = createDb(proxied.toString(), { max: 2 });
  });
  afterAll(async () => {
    await db?.destroy();
    await proxy?.close();
  });

  it('fails that query with a connection error, keeps the process alive, and the pool reconnects afterwards', async () => {
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    // A checked-out client mid-query: pg fails the query and also emits 'error' on the client; unheard, that event
    // is an uncaught exception that kills the process (and fails this run as an unhandled error).
    const running = sql`select pg_sleep(5)`.execute(db);
    const inTransaction = db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      await sql`select pg_sleep(5)`.execute(trx);
    });
    await new Promise((r) => setTimeout(r, 300));
    proxy.cut();
    await expect(running).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(inTransaction).rejects.toThrow(/ECONNRESET|Connection terminated/);
    await expect(sql`select 1`.execute(db)).rejects.toMatchObject({ code: 'ECONNRESET' });
    proxy.restore();
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });
});
