import { sql, type Kysely } from 'kysely';

// The review policy (SLAs, lease, approvers, four-eyes) as data: every version an admin saves is a row, never
// changed afterwards, so the table is also the policy's audit trail (who, when, why, what). The newest version is
// the one in force; claim workflows started with a version follow later ones. No row yet: the built-in default
// (version 0) is in force.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('review_policies')
    .addColumn('version', 'integer', (c) => c.primaryKey().check(sql`version > 0`))
    .addColumn('policy', 'jsonb', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('review_policies').ifExists().execute();
}
