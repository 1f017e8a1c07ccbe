import { sql, type RawBuilder } from 'kysely';
import type { DbOrTrx } from '../../db/index.ts';
import { sourceFilterSql, type SourceFilters, type SourceSummaryRow } from '../../db/repositories/sources.ts';
import type { EvidenceCandidate, EvidenceProvider, EvidenceQuery } from './types.ts';
import { queryTerms, truncateForSearch } from './text.ts';

export const LIBRARY_PROVIDER = 'library';

export type LibraryFilters = SourceFilters;

/** How many full-text hits are re-scored before the best few get snippets; bounds the work on common words. */
const CANDIDATE_POOL = 50;
const HEADLINE_OPTIONS = 'MaxFragments=1, MaxWords=40, MinWords=18, ShortWord=2, StartSel="", StopSel="", FragmentDelimiter=" … "';
/** ts_headline parses the whole text it is given; long bodies are cut so one big report cannot dominate latency. */
const HEADLINE_CHARS = 20_000;

export interface LibraryHit extends SourceSummaryRow {
  rank: number;
  title_similarity: number;
  score: number;
  snippet: string;
  matched: string[];
}

/** A claim keyword as Postgres normalises it, with the share of sources containing it (0 when rare or unknown). */
export interface KeywordStat {
  keyword: string;
  /** The keyword's tsquery in Postgres' own text form (safe to cast back with ::tsquery); '' for stop words. */
  query: string;
  frequency: number;
}

/**
 * Keyword document frequencies come from the planner statistics ANALYZE keeps for the tsvector column
 * (pg_stats.most_common_elems), so they cost nothing to maintain; a lexeme not listed there is rare.
 */
export function keywordStatsSql(keywords: string[]): RawBuilder<KeywordStat & { sources: number }> {
  return sql<KeywordStat & { sources: number }>`
    WITH mce AS MATERIALIZED (
      -- The frequency array carries three summary numbers past the end of the lexeme array: those rows pair with NULL.
      SELECT m.e, m.f FROM pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(e, f)
      WHERE s.schemaname = current_schema() AND s.tablename = 'sources' AND s.attname = 'search' AND m.e IS NOT NULL
    ), kw AS MATERIALIZED (
      SELECT x.k, x.ord, plainto_tsquery('english', x.k)::text AS q, tsvector_to_array(to_tsvector('english', x.k)) AS lex
      FROM unnest(${keywords}::text[]) WITH ORDINALITY AS x(k, ord)
    )
    SELECT kw.k AS keyword, kw.q AS query, coalesce(max(mce.f), 0)::float8 AS frequency,
      (SELECT greatest(c.reltuples, 0)::float8 FROM pg_class c WHERE c.oid = 'sources'::regclass) AS sources
    FROM kw LEFT JOIN mce ON mce.e = ANY(kw.lex)
    GROUP BY kw.k, kw.ord, kw.q
    ORDER BY kw.ord`;
}

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

/**
 * At most this many matching sources are ranked. On a query this unselective, sources matching the rarer
 * keywords (the first tier) are always among them; the rest are the first found.
 */
const MAX_RANKED = 800;

export function lookupSql(keywords: string[], tiers: string[], filters: LibraryFilters, limit: number): RawBuilder<LibraryHit> {
  const anyQuery = sql`websearch_to_tsquery('english', ${keywords.join(' or ')})`;
  // Ranking every match is the cost on a big library, so the first cut uses ts_rank (term frequency, cheaper
  // than cover density) on the matching terms only; the kept pool is then ranked properly on every keyword.
  const matchTerms = sql`${or(tiers).replace(/&/g, '|')}::tsquery`;
  const titleProbe = keywords.join(' ');
  const where = sourceFilterSql(filters);
  const tierScans = tiers.map((tier, i) => {
    const earlier = tiers.slice(0, i).map((t) => sql` AND NOT (s.search @@ ${t}::tsquery)`);
    return sql`(SELECT s.id, s.search FROM sources s WHERE s.search @@ ${tier}::tsquery${sql.join(earlier, sql``)} AND ${where})`;
  });
  // Stage 1 (index): candidates tier by tier, capped at MAX_RANKED, cut to CANDIDATE_POOL by ts_rank.
  // Stage 2: re-score the pool by cover density on every keyword, how many of the claim's keywords each source
  // covers, title trigram similarity (catches near-identical titles) and reliability. Stage 3: snippets.
  return sql<LibraryHit>`
    WITH kw AS MATERIALIZED (
      SELECT array_agg(plainto_tsquery('english', k)) AS qs, count(*)::float8 AS n FROM unnest(${keywords}::text[]) AS k
    )
    SELECT r.id, r.url, r.title, r.publisher, r.published_at, r.kind, r.reliability, r.rank, r.title_similarity, r.score,
      ts_headline('english', left(r.body, ${HEADLINE_CHARS}), ${anyQuery}, ${HEADLINE_OPTIONS}) AS snippet,
      ARRAY(SELECT k FROM unnest(${keywords}::text[]) AS k WHERE r.search @@ plainto_tsquery('english', k)) AS matched
    FROM (
      SELECT c.*, (0.4 * c.rank + 0.3 * c.coverage + 0.15 * c.title_similarity + 0.15 * c.reliability) AS score
      FROM (
        SELECT s.id, s.url, s.title, s.publisher, s.published_at, s.kind, s.reliability, s.search, s.body,
          ts_rank_cd(s.search, ${anyQuery}, 32)::float8 AS rank,
          similarity(s.title, ${titleProbe})::float8 AS title_similarity,
          (SELECT count(*) FROM unnest(kw.qs) AS q WHERE s.search @@ q)::float8 / kw.n AS coverage
        FROM (
          SELECT m.id, ts_rank(m.search, ${matchTerms}) AS first_cut
          FROM (${sql.join(tierScans, sql` UNION ALL `)} LIMIT ${MAX_RANKED}) m
          ORDER BY first_cut DESC, m.id DESC
          LIMIT ${CANDIDATE_POOL}
        ) p
        JOIN sources s ON s.id = p.id
        CROSS JOIN kw
      ) c
      ORDER BY score DESC, c.id DESC
      LIMIT ${limit}
    ) r
    ORDER BY r.score DESC, r.id DESC`;
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
