import { sql, type RawBuilder } from 'kysely';
import type { DbOrTrx } from '../index.ts';
import type { NewSource, SourceRow } from '../schema.ts';

/** The columns a list of sources shows (search hits, evidence candidates). */
export type SourceSummaryRow = Pick<SourceRow, 'id' | 'url' | 'title' | 'publisher' | 'published_at' | 'kind' | 'reliability'>;

/** Library sources by id, with what a link to them needs. */
export async function sourceLinks(db: DbOrTrx, ids: readonly string[]): Promise<Pick<SourceRow, 'id' | 'url' | 'title'>[]> {
  return ids.length ? db.selectFrom('sources').select(['id', 'url', 'title']).where('id', 'in', ids).execute() : [];
}

/** Refreshes the planner's statistics after a bulk import, so the next searches use the new rows' shape. */
export async function analyzeSources(db: DbOrTrx): Promise<void> {
  await sql`ANALYZE sources`.execute(db);
}

/** Filters on the library's sources (aliased `s`), shared by the source search and the evidence provider. */
export interface SourceFilters {
  kinds?: string[];
  minReliability?: number;
  publishedBefore?: Date;
  publishedAfter?: Date;
}

/** The filters as one SQL condition on `s` (true when there are none). */
export function sourceFilterSql(f: SourceFilters): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  if (f.kinds && f.kinds.length > 0) parts.push(sql`s.kind = ANY(${f.kinds}::text[])`);
  if (f.minReliability !== undefined) parts.push(sql`s.reliability >= ${f.minReliability}`);
  if (f.publishedBefore) parts.push(sql`s.published_at < ${f.publishedBefore}`);
  if (f.publishedAfter) parts.push(sql`s.published_at > ${f.publishedAfter}`);
  return sql.join(parts, sql` AND `);
}

/** What the API shows of a source (everything but the search vector and the content hash). */
const SOURCE_COLUMNS = ['id', 'url', 'title', 'publisher', 'published_at', 'kind', 'reliability', 'body', 'created_at', 'updated_at'] as const;
export type SourceView = Pick<SourceRow, (typeof SOURCE_COLUMNS)[number]>;

export async function findSourceById(db: DbOrTrx, id: string): Promise<SourceView | undefined> {
  return db.selectFrom('sources').select(SOURCE_COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function getSourceByUrl(db: DbOrTrx, url: string): Promise<SourceView> {
  return db.selectFrom('sources').select(SOURCE_COLUMNS).where('url', '=', url).executeTakeFirstOrThrow();
}

/**
 * Inserts or updates sources by URL in one statement; a row whose content hash is unchanged is not touched.
 * Returns the URLs written, each with whether it was created (else updated). One statement cannot write a URL twice.
 */
export async function upsertSourceRows(db: DbOrTrx, rows: (NewSource & { url: string })[]): Promise<{ url: string; created: boolean }[]> {
  return db
    .insertInto('sources')
    .values(rows)
    .onConflict((oc) =>
      oc
        .column('url')
        .doUpdateSet((eb) => ({
          title: eb.ref('excluded.title'),
          publisher: eb.ref('excluded.publisher'),
          published_at: eb.ref('excluded.published_at'),
          kind: eb.ref('excluded.kind'),
          reliability: eb.ref('excluded.reliability'),
          body: eb.ref('excluded.body'),
          content_hash: eb.ref('excluded.content_hash'),
          updated_at: sql<Date>`now()`,
        }))
        .where('sources.content_hash', '<>', (eb) => eb.ref('excluded.content_hash')),
    )
    .returning(['url', sql<boolean>`(xmax = 0)`.as('created')])
    .execute();
}
