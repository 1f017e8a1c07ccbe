import { sql, type Kysely } from 'kysely';

// Frozen once landed: later changes go in new migrations.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);

  await db.schema
    .createTable('users')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role IN ('fact_checker', 'editor', 'admin')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('disabled_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('articles')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('publisher', 'text')
    .addColumn('published_at', 'timestamptz')
    .addColumn('content_hash', 'text', (c) => c.notNull().unique())
    .addColumn('workflow_id', 'text')
    .addColumn('submitted_by', 'bigint', (c) => c.references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('claims')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('article_id', 'bigint', (c) => c.references('articles.id').onDelete('cascade'))
    // (article, start) identifies an extracted claim, so re-saving an article's claims is idempotent.
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('start_offset', 'integer')
    .addColumn('end_offset', 'integer')
    .addColumn('claimant', 'text')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('other'))
    .addColumn('score', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('quantities', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('checks', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('features', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('extracted','researching','awaiting_review','in_review','awaiting_approval','verdict_recorded','withdrawn')`),
    )
    .addColumn('priority', 'text', (c) => c.notNull().defaultTo('normal').check(sql`priority IN ('low','normal','high','urgent')`))
    .addColumn('workflow_id', 'text', (c) => c.unique())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('submitted_by', 'bigint', (c) => c.references('users.id'))
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE UNIQUE INDEX claims_article_span_uq ON claims (article_id, start_offset, end_offset) WHERE article_id IS NOT NULL AND start_offset IS NOT NULL`.execute(db);
  await db.schema.createIndex('claims_status_created_idx').on('claims').columns(['status', 'created_at desc', 'id desc']).execute();
  await db.schema.createIndex('claims_created_idx').on('claims').columns(['created_at desc', 'id desc']).execute();
  await sql`CREATE INDEX claims_text_trgm_idx ON claims USING gin (text gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX claims_fingerprint_trgm_idx ON claims USING gin (fingerprint gin_trgm_ops)`.execute(db);

  await db.schema
    .createTable('sources')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('publisher', 'text')
    .addColumn('published_at', 'timestamptz')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('other'))
    .addColumn('reliability', 'double precision', (c) => c.notNull().defaultTo(0.5).check(sql`reliability >= 0 AND reliability <= 1`))
    .addColumn('body', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('search', sql`tsvector`, (c) =>
      c.generatedAlwaysAs(sql`setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(publisher, '')), 'C') || setweight(to_tsvector('english', left(coalesce(body, ''), 200000)), 'B')`).stored(),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX sources_search_idx ON sources USING gin (search)`.execute(db);
  await sql`CREATE INDEX sources_title_trgm_idx ON sources USING gin (title gin_trgm_ops)`.execute(db);
  await db.schema.createIndex('sources_published_idx').on('sources').columns(['published_at']).execute();

  await db.schema
    .createTable('claim_evidence')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('claim_id', 'bigint', (c) => c.notNull().references('claims.id').onDelete('cascade'))
    .addColumn('source_id', 'bigint', (c) => c.references('sources.id').onDelete('set null'))
    .addColumn('url', 'text')
    .addColumn('title', 'text')
    .addColumn('quote', 'text')
    .addColumn('stance', 'text', (c) => c.notNull().check(sql`stance IN ('supports','refutes','context')`))
    .addColumn('found_by', 'text', (c) => c.notNull())
    .addColumn('score', 'double precision')
    .addColumn('reason', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('retrieved_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('claim_evidence_claim_hash_uq', ['claim_id', 'content_hash'])
    .execute();

  await db.schema
    .createTable('review_tasks')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('claim_id', 'bigint', (c) => c.notNull().references('claims.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('review','approval')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('open','claimed','completed','cancelled')`))
    .addColumn('assignee', 'text')
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('priority', 'text', (c) => c.notNull().defaultTo('normal'))
    .addColumn('due_at', 'timestamptz')
    .addColumn('round', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('reviewer', 'text')
    .addColumn('comment', 'text')
    // workflow id + kind + round: a retried activity finds the task it already created.
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('escalated_at', 'timestamptz')
    .addColumn('escalation_level', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('review_tasks_queue_idx').on('review_tasks').columns(['kind', 'status', 'due_at']).execute();
  await db.schema.createIndex('review_tasks_claim_idx').on('review_tasks').columns(['claim_id']).execute();
  await db.schema.createIndex('review_tasks_assignee_idx').on('review_tasks').columns(['assignee', 'status']).execute();

  await db.schema
    .createTable('verdicts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('claim_id', 'bigint', (c) => c.notNull().references('claims.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('rating', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('rationale', 'text')
    .addColumn('citations', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('reviewer', 'text', (c) => c.notNull())
    .addColumn('approver', 'text')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('supersedes', 'bigint', (c) => c.references('verdicts.id'))
    .addColumn('correction_reason', 'text')
    .addUniqueConstraint('verdicts_claim_version_uq', ['claim_id', 'version'])
    .execute();

  await db.schema
    .createTable('claim_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('claim_id', 'bigint', (c) => c.notNull().references('claims.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema.createIndex('claim_events_claim_idx').on('claim_events').columns(['claim_id', 'at', 'id']).execute();

  await sql`CREATE OR REPLACE FUNCTION claimdesk_no_event_changes() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'claim_events is append-only'; END $$ LANGUAGE plpgsql`.execute(db);
  await sql`CREATE TRIGGER claim_events_append_only BEFORE UPDATE OR DELETE ON claim_events
    FOR EACH ROW WHEN (pg_trigger_depth() = 0 AND current_setting('claimdesk.allow_event_delete', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION claimdesk_no_event_changes()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['claim_events', 'verdicts', 'review_tasks', 'claim_evidence', 'sources', 'claims', 'articles', 'api_tokens', 'users']) {
    await db.schema.dropTable(t).ifExists().cascade().execute();
  }
  await sql`DROP FUNCTION IF EXISTS claimdesk_no_event_changes()`.execute(db);
}
