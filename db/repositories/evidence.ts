import type { DbOrTrx } from '../index.ts';
import type { ClaimRow, EvidenceRow, NewEvidence } from '../schema.ts';

/** Best-scored first. */
export async function evidenceOfClaim(db: DbOrTrx, claimId: string): Promise<EvidenceRow[]> {
  return db.selectFrom('claim_evidence').selectAll().where('claim_id', '=', claimId).orderBy('score', (o) => o.desc().nullsLast()).orderBy('id').execute();
}

/** Evidence rows of one claim by id (a citation may only name its own claim's evidence). */
export async function evidenceLinks(db: DbOrTrx, claimId: string, ids: readonly string[]): Promise<Pick<EvidenceRow, 'id' | 'url' | 'title'>[]> {
  return ids.length ? db.selectFrom('claim_evidence').select(['id', 'url', 'title']).where('claim_id', '=', claimId).where('id', 'in', ids).execute() : [];
}

/** Rows already in the ledger (same claim, same content hash) are skipped; returns how many were new. */
export async function insertEvidenceIfNew(db: DbOrTrx, rows: NewEvidence[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insertInto('claim_evidence')
    .values(rows)
    .onConflict((oc) => oc.columns(['claim_id', 'content_hash']).doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

/** A claim with its article's publication date (null without an article), for evidence lookups. */
export async function findClaimWithArticleDate(db: DbOrTrx, claimId: string): Promise<(Pick<ClaimRow, 'id' | 'article_id' | 'text' | 'quantities' | 'created_at'> & { published_at: Date | null }) | undefined> {
  return db
    .selectFrom('claims as c')
    .leftJoin('articles as a', 'a.id', 'c.article_id')
    .select(['c.id', 'c.article_id', 'c.text', 'c.quantities', 'c.created_at', 'a.published_at'])
    .where('c.id', '=', claimId)
    .executeTakeFirst();
}
