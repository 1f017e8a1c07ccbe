import { sql, type Kysely } from 'kysely';

// API processes keep bearer-token lookups in memory for a few seconds. Whoever changes a token or a user (an API
// process, the CLI, an operator with psql) must empty every process's cache at once, so the database itself tells them:
// a NOTIFY on claimdesk_auth, sent at commit, for every change that can end or alter a token's principal. Writes of
// api_tokens.last_used_at (once a minute per token in use) change nothing a request depends on and stay silent, or the
// caches would be emptied all the time.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION claimdesk_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('claimdesk_auth', TG_TABLE_NAME);
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER api_tokens_auth_changed AFTER UPDATE ON api_tokens FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.token_hash IS DISTINCT FROM NEW.token_hash)
    EXECUTE FUNCTION claimdesk_auth_changed()`.execute(db);
  await sql`CREATE TRIGGER api_tokens_auth_deleted AFTER DELETE ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION claimdesk_auth_changed()`.execute(db);
  // Any change to a user: role and disabled_at are in the principal; the rest is rare enough to notify as well.
  await sql`
    CREATE TRIGGER users_auth_changed AFTER UPDATE ON users FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)
    EXECUTE FUNCTION claimdesk_auth_changed()`.execute(db);
  await sql`CREATE TRIGGER users_auth_deleted AFTER DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION claimdesk_auth_changed()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS users_auth_deleted ON users`.execute(db);
  await sql`DROP TRIGGER IF EXISTS users_auth_changed ON users`.execute(db);
  await sql`DROP TRIGGER IF EXISTS api_tokens_auth_deleted ON api_tokens`.execute(db);
  await sql`DROP TRIGGER IF EXISTS api_tokens_auth_changed ON api_tokens`.execute(db);
  await sql`DROP FUNCTION IF EXISTS claimdesk_auth_changed()`.execute(db);
}
