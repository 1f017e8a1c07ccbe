import { sql, type Kysely } from 'kysely';

// Articles say whether their claims were extracted: 'pending' until the intake's extraction commits, 'extracted'
// after, 'failed' (with the reason) when extraction was refused or passed its deadline (EXTRACTION_DEADLINE_MS), so a
// hostile or pathological article shows why it has no claims instead of looking like it is still in progress.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('articles')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'extracted', 'failed')`))
    .addColumn('failure_reason', 'text')
    .execute();
  // Articles from before this migration that have claims were extracted; the rest stay pending.
  await sql`update articles a set status = 'extracted' where exists (select 1 from claims c where c.article_id = a.id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('articles').dropColumn('failure_reason').dropColumn('status').execute();
}
