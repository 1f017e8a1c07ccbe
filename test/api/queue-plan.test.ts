import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/index.ts';
import { explainQueuePage } from '../../db/repositories/tasks.ts';
import { fileDatabaseUrl } from '../support/test-database.ts';

// The queue page is an index scan in (priority rank, due key, id) order with no sort, first page and deep cursor
// alike (migration 0013): a change to the query's order expressions or to the index breaks this before it meets a
// large backlog (bench/http.bench.ts B3 measures the speed).
describe('queue page plan', () => {
  let url: string;
  let db: Db;

  beforeAll(async () => {
    url = await fileDatabaseUrl();
    db = createDb(url, { max: 2 });
    await sql`INSERT INTO claims (text, status, priority, fingerprint)
      SELECT 'Plan claim ' || g, 'awaiting_review', (ARRAY['low','normal','high','urgent'])[1 + g % 4], 'plan ' || g FROM generate_series(1, 5000) g`.execute(db);
    await sql`INSERT INTO review_tasks (claim_id, kind, status, priority, due_at, round, idempotency_key)
      SELECT id, 'review', CASE WHEN id % 10 = 0 THEN 'completed' ELSE 'open' END, priority, now() + ((id % 300) || ' minutes')::interval, 1, 'plan-' || id
      FROM claims WHERE text LIKE 'Plan claim %'`.execute(db);
    await sql`ANALYZE review_tasks`.execute(db);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  const plan = (after: readonly [number, string, string] | null): Promise<string> => explainQueuePage(db, { kind: 'review', userName: 'someone', after, limit: 51 });

  it('reads the first page from the queue-order index without sorting', async () => {
    const p = await plan(null);
    expect(p).toContain('Index Scan using review_tasks_queue_order_idx');
    expect(p).not.toMatch(/\bSort\b/);
  });

  it('reads a deep page (keyset cursor) the same way', async () => {
    const p = await plan([2, new Date(Date.now() + 3600_000).toISOString(), '2500']);
    expect(p).toContain('Index Scan using review_tasks_queue_order_idx');
    expect(p).not.toMatch(/\bSort\b/);
  });
});
