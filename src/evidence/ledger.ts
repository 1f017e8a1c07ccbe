import type { DbOrTrx } from '../../db/index.ts';
import { findClaimWithArticleDate, insertEvidenceIfNew } from '../../db/repositories/evidence.ts';
import type { ClaimQuantity, EvidenceCandidate, EvidenceQuery } from './types.ts';
import { evidenceHash } from './text.ts';

export interface ClaimForEvidence {
  id: string;
  articleId: string | null;
  text: string;
  quantities: ClaimQuantity[];
  claimDate: Date | null;
}

export class ClaimNotFoundError extends Error {
  readonly code = 'claim_not_found' as const;
  constructor(readonly claimId: string) {
    super(`claim ${claimId} does not exist`);
    this.name = 'ClaimNotFoundError';
  }
}

function asQuantities(value: unknown): ClaimQuantity[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (q): q is ClaimQuantity => typeof q === 'object' && q !== null && typeof (q as ClaimQuantity).value === 'number' && typeof (q as ClaimQuantity).text === 'string',
  );
}

/** The claim with the date it was made: its article's publication date, else when it was entered. */
export async function loadClaimForEvidence(db: DbOrTrx, claimId: string): Promise<ClaimForEvidence> {
  const row = /^\d{1,18}$/.test(claimId) ? await findClaimWithArticleDate(db, claimId) : undefined;
  if (!row) throw new ClaimNotFoundError(claimId);
  return {
    id: row.id,
    articleId: row.article_id,
    text: row.text,
    quantities: asQuantities(row.quantities),
    claimDate: row.published_at ?? row.created_at,
  };
}

export function toEvidenceQuery(claim: ClaimForEvidence): EvidenceQuery {
  return { text: claim.text, quantities: claim.quantities, claimDate: claim.claimDate };
}

/**
 * Writes candidates to the claim's evidence ledger. The content hash (provider + url + quote) makes a retried
 * activity a no-op; returns how many rows were new.
 */
export async function recordEvidence(db: DbOrTrx, claimId: string, candidates: EvidenceCandidate[]): Promise<number> {
  const rows = candidates.map((c) => ({
    claim_id: claimId,
    source_id: c.sourceId,
    url: c.url,
    title: c.title,
    quote: c.quote,
    stance: c.stance,
    found_by: c.provider,
    score: c.score,
    reason: c.reason,
    details: JSON.stringify(c.details),
    content_hash: evidenceHash(c.provider, c.identity ?? c.url, c.quote),
  }));
  return insertEvidenceIfNew(db, rows);
}
