import { sql, type Kysely } from 'kysely';

// Transcripts beside news articles: an article records which it is (the extractor reads the two differently and each
// has its own threshold), and a claim from a transcript keeps the bracketed timestamp it was spoken at.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('articles')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('news').check(sql`kind in ('news', 'transcript')`))
    .execute();
  await db.schema.alterTable('claims').addColumn('spoken_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('claims').dropColumn('spoken_at').execute();
  await db.schema.alterTable('articles').dropColumn('kind').execute();
}
