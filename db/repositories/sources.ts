import { sql } from 'kysely';
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
