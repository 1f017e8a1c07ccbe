import type { DbOrTrx } from '../../db/index.ts';
import { keywordStatsSql, lookupSql, type KeywordStat, type LibraryHit } from '../../db/repositories/source-search.ts';
import type { SourceFilters } from '../../db/repositories/sources.ts';
import type { EvidenceCandidate, EvidenceProvider, EvidenceQuery } from './types.ts';
import { queryTerms, truncateForSearch } from './text.ts';

export const LIBRARY_PROVIDER = 'library';

export type LibraryFilters = SourceFilters;

/** Below this many sources every candidate is cheap to rank, so no keyword is left out of matching. */
const PRUNE_FROM_SOURCES = 20_000;
/** Keywords in fewer than this share of sources match alone; up to COMMON they must pair up; above it they only rank. */
const RARE = 0.02;
const COMMON = 0.2;
const MAX_PAIRED = 4;

export interface LibraryLookupPlan {
  keywords: string[];
  /**
   * Which sources become candidates, as tsqueries in Postgres text form, most telling first: candidates are
   * taken from the first tier, then the next, up to MAX_RANKED. Empty when the claim has nothing searchable.
   */
  tiers: string[];
  /** Used when the tiers find nothing: any one of the claim's not-too-common keywords. */
  fallback: string[];
}

const or = (parts: string[]) => parts.map((p) => `(${p})`).join(' | ');

/**
 * Which sources become candidates for a claim. Every keyword counts towards the rank, but matching must stay
 * selective on a big library: rare keywords match on their own (first tier), middling ones in pairs (second
 * tier), and very common ones ("year", "people") only add to the rank, unless they are all the claim has.
 */
export function planMatch(stats: Array<KeywordStat & { sources?: number }>): LibraryLookupPlan {
  const usable = stats.filter((k) => k.query !== '');
  const keywords = usable.map((k) => k.keyword);
  if (usable.length === 0) return { keywords, tiers: [], fallback: [] };
  const pairsOf = (ks: KeywordStat[]) => {
    const pairs: string[] = [];
    for (let i = 0; i < ks.length; i++) for (let j = i + 1; j < ks.length; j++) pairs.push(`${ks[i]?.query} & ${ks[j]?.query}`);
    return pairs;
  };
  if ((stats[0]?.sources ?? 0) < PRUNE_FROM_SOURCES) {
    // Small library: sources sharing two keywords with the claim, falling back to any one.
    if (usable.length < 3) return { keywords, tiers: [or(usable.map((k) => k.query))], fallback: [] };
    return { keywords, tiers: [or(pairsOf(usable))], fallback: [or(usable.map((k) => k.query))] };
  }
  const rare = usable.filter((k) => k.frequency < RARE);
  // The GIN scan reads every listed keyword's posting list: pairs use only the least common few of the middling ones.
  const mid = usable.filter((k) => k.frequency >= RARE && k.frequency < COMMON).sort((a, b) => a.frequency - b.frequency).slice(0, MAX_PAIRED);
  const common = usable.filter((k) => k.frequency >= COMMON).sort((a, b) => a.frequency - b.frequency);
  const tiers: string[] = [];
  if (rare.length > 0) tiers.push(or(rare.map((k) => k.query)));
  if (mid.length >= 2) tiers.push(or(pairsOf(mid)));
  if (tiers.length === 0) {
    // One middling keyword, or only common ones: the least common few together.
    tiers.push([...mid, ...common].slice(0, 3).map((k) => `(${k.query})`).join(' & '));
  }
  return { keywords, tiers, fallback: mid.length > 0 ? [or(mid.map((k) => k.query))] : [] };
}

export async function lookupLibrary(db: DbOrTrx, text: string, filters: LibraryFilters = {}, limit = 10): Promise<{ keywords: string[]; hits: LibraryHit[] }> {
  const { keywords: candidates } = queryTerms(truncateForSearch(text));
  if (candidates.length === 0) return { keywords: [], hits: [] };
  const { rows: stats } = await keywordStatsSql(candidates).execute(db);
  const plan = planMatch(stats);
  if (plan.tiers.length === 0) return { keywords: plan.keywords, hits: [] };
  let { rows } = await lookupSql(plan.keywords, plan.tiers, filters, limit).execute(db);
  if (rows.length === 0 && plan.fallback.length > 0) rows = (await lookupSql(plan.keywords, plan.fallback, filters, limit).execute(db)).rows;
  return { keywords: plan.keywords, hits: rows };
}

const KIND_LABEL: Record<string, string> = {
  official_statistics: 'official statistics',
  government: 'government source',
  report: 'report',
  research: 'research',
  news: 'news report',
  fact_check: 'fact check',
  legal: 'legal document',
  reference: 'reference work',
  dataset: 'dataset',
};

function quoteList(words: string[]): string {
  return words.map((w) => `“${w}”`).join(', ');
}

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function hitToCandidate(hit: LibraryHit, keywords: string[], claimDate: Date | null): EvidenceCandidate {
  const postDatesClaim = claimDate !== null && hit.published_at !== null && hit.published_at.getTime() > claimDate.getTime();
  const reasons = [`matches ${quoteList(hit.matched.length > 0 ? hit.matched : keywords.slice(0, 3))}`];
  if (hit.title_similarity >= 0.2) reasons.push(`title similar to the claim (${hit.title_similarity.toFixed(2)})`);
  reasons.push(`${KIND_LABEL[hit.kind] ?? hit.kind}, reliability ${hit.reliability.toFixed(2)}`);
  if (postDatesClaim) reasons.push(`published ${hit.published_at?.toISOString().slice(0, 10)}, after the claim: cannot be its origin`);
  const reason = reasons.join('; ');
  return {
    provider: LIBRARY_PROVIDER,
    sourceId: hit.id,
    url: hit.url,
    title: hit.title,
    quote: hit.snippet.trim() === '' ? null : hit.snippet.trim(),
    stance: 'context',
    score: round(hit.score, 4),
    reason: reason.charAt(0).toUpperCase() + reason.slice(1),
    details: {
      sourceId: hit.id,
      publisher: hit.publisher,
      publishedAt: hit.published_at ? hit.published_at.toISOString() : null,
      kind: hit.kind,
      reliability: hit.reliability,
      rank: round(hit.rank, 4),
      titleSimilarity: round(hit.title_similarity, 4),
      matchedTerms: hit.matched,
      postDatesClaim,
    },
  };
}

/** The evidence library as a provider: a claim in, the best-matching sources out with a snippet and why they matched. */
export function createLibraryProvider(db: DbOrTrx, filters: LibraryFilters = {}): EvidenceProvider {
  return {
    name: LIBRARY_PROVIDER,
    async search(query: EvidenceQuery, opts = {}) {
      const { keywords, hits } = await lookupLibrary(db, query.text, filters, opts.limit ?? 10);
      return hits.map((h) => hitToCandidate(h, keywords, query.claimDate));
    },
  };
}
