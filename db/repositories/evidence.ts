import type { DbOrTrx } from '../index.ts';
import type { EvidenceRow } from '../schema.ts';

/** Best-scored first. */
export async function evidenceOfClaim(db: DbOrTrx, claimId: string): Promise<EvidenceRow[]> {
  return db.selectFrom('claim_evidence').selectAll().where('claim_id', '=', claimId).orderBy('score', (o) => o.desc().nullsLast()).orderBy('id').execute();
}

/** Evidence rows of one claim by id (a citation may only name its own claim's evidence). */
export async function evidenceLinks(db: DbOrTrx, claimId: string, ids: readonly string[]): Promise<Pick<EvidenceRow, 'id' | 'url' | 'title'>[]> {
  return ids.length ? db.selectFrom('claim_evidence').select(['id', 'url', 'title']).where('claim_id', '=', claimId).where('id', 'in', ids).execute() : [];
}
