import { sql, type RawBuilder } from 'kysely';
import type { DbOrTrx } from '../../db/index.ts';
import type { EvidenceCandidate, EvidenceProvider, EvidenceQuery } from './types.ts';
import { queryTerms, truncateForSearch } from './text.ts';

export const LIBRARY_PROVIDER = 'library';

export interface LibraryFilters {
  kinds?: string[];
  minReliability?: number;
  publishedBefore?: Date;
  publishedAfter?: Date;
}

/** How many full-text hits are re-scored before the best few get snippets; bounds the work on common words. */
const CANDIDATE_POOL = 100;
const HEADLINE_OPTIONS = 'MaxFragments=1, MaxWords=40, MinWords=18, ShortWord=2, StartSel="", StopSel="", FragmentDelimiter=" … "';
/** ts_headline parses the whole text it is given; long bodies are cut so one big report cannot dominate latency. */
const HEADLINE_CHARS = 20_000;

function filterSql(f: LibraryFilters): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  if (f.kinds && f.kinds.length > 0) parts.push(sql`s.kind = ANY(${f.kinds}::text[])`);
  if (f.minReliability !== undefined) parts.push(sql`s.reliability >= ${f.minReliability}`);
  if (f.publishedBefore) parts.push(sql`s.published_at < ${f.publishedBefore}`);
  if (f.publishedAfter) parts.push(sql`s.published_at > ${f.publishedAfter}`);
  return sql.join(parts, sql` AND `);
}

export interface LibraryLookupPlan {
  keywords: string[];
  /** null when the claim has nothing searchable. */
  query: RawBuilder<LibraryHit> | null;
  /** The wider query (any keyword) used when no source matches two keywords. */
  fallback: RawBuilder<LibraryHit> | null;
}

export interface LibraryHit {
  id: string;
  url: string;
  title: string;
  publisher: string | null;
  published_at: Date | null;
  kind: string;
  reliability: number;
  rank: number;
  title_similarity: number;
  score: number;
  snippet: string;
  matched: string[];
}

function lookupSql(keywords: string[], match: RawBuilder<unknown>, filters: LibraryFilters, limit: number): RawBuilder<LibraryHit> {
  const anyQuery = sql`websearch_to_tsquery('english', ${keywords.join(' or ')})`;
  const titleProbe = keywords.join(' ');
  // Stage 1 (index): sources matching `match`, best ts_rank_cd first, capped at CANDIDATE_POOL.
  // Stage 2: re-score that pool by how many of the claim's keywords each source covers, title trigram
  // similarity (catches near-identical titles) and the source's reliability. Stage 3: snippets for the few kept.
  return sql<LibraryHit>`
    WITH kw AS MATERIALIZED (
      SELECT array_agg(plainto_tsquery('english', k)) AS qs, count(*)::float8 AS n FROM unnest(${keywords}::text[]) AS k
    )
    SELECT r.id, r.url, r.title, r.publisher, r.published_at, r.kind, r.reliability, r.rank, r.title_similarity, r.score,
      ts_headline('english', left(s.body, ${HEADLINE_CHARS}), ${anyQuery}, ${HEADLINE_OPTIONS}) AS snippet,
      ARRAY(SELECT k FROM unnest(${keywords}::text[]) AS k WHERE s.search @@ plainto_tsquery('english', k)) AS matched
    FROM (
      SELECT c.*, (0.4 * c.rank + 0.3 * c.coverage + 0.15 * c.title_similarity + 0.15 * c.reliability) AS score
      FROM (
        SELECT p.*, (SELECT count(*) FROM unnest(kw.qs) AS q WHERE p.search @@ q)::float8 / kw.n AS coverage
        FROM (
          SELECT s.id, s.url, s.title, s.publisher, s.published_at, s.kind, s.reliability, s.search,
            ts_rank_cd(s.search, ${anyQuery}, 32)::float8 AS rank,
            similarity(s.title, ${titleProbe})::float8 AS title_similarity
          FROM sources s
          WHERE s.search @@ (${match}) AND ${filterSql(filters)}
          ORDER BY ts_rank_cd(s.search, ${anyQuery}, 32) DESC, s.id DESC
          LIMIT ${CANDIDATE_POOL}
        ) p CROSS JOIN kw
      ) c
      ORDER BY score DESC, c.id DESC
      LIMIT ${limit}
    ) r JOIN sources s ON s.id = r.id
    ORDER BY r.score DESC, r.id DESC`;
}

/**
 * The SQL a library lookup runs for a claim text: sources matching at least two of the claim's keywords
 * (or any one, as a fallback), ranked by ts_rank_cd, title similarity and reliability. Exposed for the benchmark.
 */
export function planLibraryLookup(text: string, filters: LibraryFilters = {}, limit = 10): LibraryLookupPlan {
  const { keywords } = queryTerms(truncateForSearch(text));
  if (keywords.length === 0) return { keywords, query: null, fallback: null };
  const anyQuery = sql`websearch_to_tsquery('english', ${keywords.join(' or ')})`;
  if (keywords.length < 3) return { keywords, query: lookupSql(keywords, anyQuery, filters, limit), fallback: null };
  const pairs: RawBuilder<unknown>[] = [];
  for (let i = 0; i < keywords.length; i++) {
    for (let j = i + 1; j < keywords.length; j++) pairs.push(sql`websearch_to_tsquery('english', ${`${keywords[i]} ${keywords[j]}`})`);
  }
  return { keywords, query: lookupSql(keywords, sql.join(pairs, sql` || `), filters, limit), fallback: lookupSql(keywords, anyQuery, filters, limit) };
}

export async function lookupLibrary(db: DbOrTrx, text: string, filters: LibraryFilters = {}, limit = 10): Promise<{ keywords: string[]; hits: LibraryHit[] }> {
  const plan = planLibraryLookup(text, filters, limit);
  if (!plan.query) return { keywords: plan.keywords, hits: [] };
  let { rows } = await plan.query.execute(db);
  if (rows.length === 0 && plan.fallback) rows = (await plan.fallback.execute(db)).rows;
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
