import { sql, type RawBuilder } from 'kysely';
import type { DbOrTrx } from '../index.ts';
import type { SourceRow } from '../schema.ts';

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
