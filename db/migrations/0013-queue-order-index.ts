import { sql, type Kysely } from 'kysely';

// The review and approval queues page in (priority rank, due key, id) order (db/repositories/tasks.ts queueTasks).
// Without an index in that order Postgres read every open task and sorted them for each page: 40 ms at 10k open
// tasks, growing with the backlog. This index holds exactly that order for live tasks, so a page (first or deep,
// by keyset cursor) is an index scan of ~limit rows at any size. The expressions must stay identical to the query's.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS review_tasks_queue_order_idx ON review_tasks (
    kind,
    (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END),
    (coalesce(due_at, 'infinity'::timestamptz)),
    id
  ) WHERE status IN ('open', 'claimed')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS review_tasks_queue_order_idx`.execute(db);
}
