import { sql, type Kysely } from 'kysely';

// Idempotency-Key records: Postgres decides whether a retried state-changing request runs again or gets the
// first answer back. One row per (user, key); the in_progress row is written before the request runs.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    // Method and route pattern, e.g. "POST /api/tasks/:id/claim": shown in the 422 when a key is reused elsewhere.
    .addColumn('route', 'text', (c) => c.notNull())
    // sha256 of method, path and canonical body: a retry must be the same request, byte for byte in meaning.
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('in_progress', 'done')`))
    .addColumn('response_status', 'integer')
    .addColumn('response_type', 'text')
    .addColumn('response_body', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // When the current attempt took the key: an in_progress row whose attempt died with the API is taken over after a while.
    .addColumn('locked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Which attempt holds the key: a first attempt that outlives a takeover must not finish or release the new one's row.
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('idempotency_keys_user_key_uq', ['user_id', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_created_idx').on('idempotency_keys').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').ifExists().execute();
}
