import { sql, type Kysely } from 'kysely';

// Rate-limit windows shared by every API process, and webhook secrets stored encrypted.
export async function up(db: Kysely<any>): Promise<void> {
  // One fixed window per key (token, session or address, with the limit's name). Unlogged: counters that a crash
  // resets cost no WAL, and losing a minute of them is harmless.
  await sql`
    CREATE UNLOGGED TABLE rate_limits (
      key text PRIMARY KEY,
      hits integer NOT NULL,
      window_end timestamptz NOT NULL
    )`.execute(db);
  await db.schema.createIndex('rate_limits_window_end_idx').on('rate_limits').column('window_end').execute();

  // AES-256-GCM of the HMAC key under WEBHOOK_SECRET_KEY. The key lives in configuration, not in the database, so
  // the migration cannot encrypt: rows keep their plaintext `secret` until the service first reads them, which
  // encrypts them and clears the plaintext (see src/publishing/webhook-secrets.ts).
  await db.schema.alterTable('webhooks').addColumn('secret_ciphertext', 'text').execute();
  await db.schema.alterTable('webhooks').alterColumn('secret', (c) => c.dropNotNull()).execute();
  await sql`ALTER TABLE webhooks ADD CONSTRAINT webhooks_secret_present CHECK (secret IS NOT NULL OR secret_ciphertext IS NOT NULL)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE webhooks DROP CONSTRAINT IF EXISTS webhooks_secret_present`.execute(db);
  await db.schema.alterTable('webhooks').dropColumn('secret_ciphertext').execute();
  await db.schema.dropTable('rate_limits').ifExists().execute();
}
