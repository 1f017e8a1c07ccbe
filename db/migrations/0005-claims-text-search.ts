import { sql, type Kysely } from 'kysely';

// Prior-verdict matching looks for rated claims sharing words with a new claim; without this index every
// lookup would build a tsvector for every claim.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX claims_text_fts_idx ON claims USING gin (to_tsvector('english', text))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS claims_text_fts_idx`.execute(db);
}
