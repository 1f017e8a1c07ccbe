import { sql, type Kysely } from 'kysely';

// Claims whose workflow met a read-model write that can never succeed (Postgres refused it with a data or constraint
// error): the workflow records them here instead of retrying forever, so the dashboard can list them and an operator
// can repair the schema or the data. Its own table, not columns on claims: the write that failed may be the claims
// row itself. The row goes away with the next transition of the claim that commits.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('stuck_claims')
    .addColumn('claim_id', 'bigint', (c) => c.primaryKey().references('claims.id').onDelete('cascade'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    // Which step could not be written (e.g. "verdict-123"), and Postgres's reason.
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('stuck_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('stuck_claims').ifExists().execute();
}
