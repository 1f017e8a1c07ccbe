import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/index.ts';
import { openTestEnv, testLogger, type TestEnv } from '../support/env.ts';
import { errorLogSink, expectErrorLog, takeUnexpectedErrorLogs } from '../support/error-logs.ts';
import { cloneTestDatabase, fileDatabaseUrl } from '../support/test-database.ts';

describe('each test file has its own database', () => {
  let env: TestEnv | undefined;
  afterAll(async () => env?.close());

  it('is migrated, named under the run, and counts ids from a block no other database uses', async () => {
    env = await openTestEnv();
    expect(env.databaseUrl).toBe(await fileDatabaseUrl());
    const other = await cloneTestDatabase('isolation');
    const otherDb = createDb(other.url, { max: 1 });
    try {
      const names = await sql<{ name: string }>`SELECT current_database() AS name`.execute(env.db);
      expect(names.rows[0]?.name).toMatch(/^claimdesk_test_[0-9a-z]+_\d+_f_/);
      const mine = await env.db.insertInto('users').values({ name: 'isolation-a', role: 'editor' }).returning('id').executeTakeFirstOrThrow();
      const theirs = await otherDb.insertInto('users').values({ name: 'isolation-b', role: 'editor' }).returning('id').executeTakeFirstOrThrow();
      expect(Number(mine.id)).toBeGreaterThan(0);
      expect(Math.floor(Number(mine.id) / 1e9)).not.toBe(Math.floor(Number(theirs.id) / 1e9));
      expect(await otherDb.selectFrom('users').select('name').where('name', '=', 'isolation-a').execute()).toEqual([]);
    } finally {
      await otherDb.destroy();
      await other.drop();
    }
  });
});

describe('error logs fail the test that produced them', () => {
  it('an error line nobody expected is reported', () => {
    testLogger.error({ err: new Error('disk on fire') }, 'could not write');
    const lines = takeUnexpectedErrorLogs();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/could not write.*disk on fire/);
  });

  it('an expected one is not, and warnings never are', () => {
    expectErrorLog(/disk on fire/);
    testLogger.error({ err: new Error('disk on fire') }, 'could not write');
    testLogger.warn('slow disk');
    testLogger.fatal('out of memory');
    expect(takeUnexpectedErrorLogs()).toEqual([expect.stringMatching(/^fatal: out of memory/)]);
  });

  it('a spawned service process counts too: its error lines, even split across chunks, and not its other output', () => {
    const sink = errorLogSink();
    sink('worker ready\n{"level":40,"msg":"slow"}\n{"level":50,"msg":"activity ');
    sink('crashed"}\n');
    expect(takeUnexpectedErrorLogs()).toEqual([expect.stringMatching(/^error: activity crashed/)]);
  });
});
