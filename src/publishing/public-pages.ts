import { z } from 'zod';
import type { DbOrTrx } from '../../db/index.ts';
import { evidenceLinks } from '../../db/repositories/evidence.ts';
import { sourceLinks } from '../../db/repositories/sources.ts';
import { latestVerdictsWithClaim, publishedClaimIds } from '../../db/repositories/verdicts.ts';
import type { ResolvedCitation, VerdictListItem } from './verdict-page.ts';

// The data behind the public pages (/claims and /claims/:id); verdict-page.ts renders it.

const storedCitation = z.object({
  sourceId: z.string().optional(),
  evidenceId: z.string().optional(),
  url: z.string().optional(),
  quote: z.string().optional(),
  stance: z.string().default('context'),
});

const isId = (v: string | undefined): v is string => v !== undefined && /^\d{1,18}$/.test(v);

/** Citations name a library source or an evidence row by id; the page shows their url and title. */
export async function resolveCitations(db: DbOrTrx, claimId: string, raw: unknown[]): Promise<ResolvedCitation[]> {
  const citations = raw.flatMap((c) => {
    const parsed = storedCitation.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  });
  const sourceIds = [...new Set(citations.flatMap((c) => (isId(c.sourceId) ? [c.sourceId] : [])))];
  const evidenceIds = [...new Set(citations.flatMap((c) => (isId(c.evidenceId) ? [c.evidenceId] : [])))];
  const [sources, evidence] = await Promise.all([sourceLinks(db, sourceIds), evidenceLinks(db, claimId, evidenceIds)]);
  const sourceById = new Map(sources.map((s) => [s.id, s]));
  const evidenceById = new Map(evidence.map((e) => [e.id, e]));
  return citations.map((c) => {
    const ref = (c.sourceId ? sourceById.get(c.sourceId) : undefined) ?? (c.evidenceId ? evidenceById.get(c.evidenceId) : undefined);
    return { url: c.url ?? ref?.url ?? null, title: ref?.title ?? null, quote: c.quote ?? null, stance: c.stance };
  });
}

/**
 * One page of claims with a published verdict, most recently changed first, each with its latest verdict.
 * `after` is the (last change, claim id) of the last claim served; rows has one more than `limit` when there is a next page.
 */
export async function publishedVerdictPage(db: DbOrTrx, q: { after: readonly [string, string] | null; limit: number }): Promise<{ rows: { claim_id: string; last: Date }[]; items: VerdictListItem[] }> {
  const rows = await publishedClaimIds(db, { after: q.after, limit: q.limit + 1, excludeWithdrawn: true });
  const ids = rows.slice(0, q.limit).map((r) => r.claim_id);
  const latest = await latestVerdictsWithClaim(db, ids);
  const byClaim = new Map(latest.map((v) => [v.claim_id, v]));
  const items = ids.flatMap((id) => {
    const v = byClaim.get(id);
    return v ? [{ claimId: id, text: v.text, claimant: v.claimant, rating: v.rating, version: v.version, updatedAt: v.recorded_at }] : [];
  });
  return { rows, items };
}
