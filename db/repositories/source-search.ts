import { sql, type RawBuilder } from 'kysely';
import type { DbOrTrx } from '../index.ts';
import { sourceFilterSql, type SourceFilters, type SourceSummaryRow } from './sources.ts';

// The evidence library's full-text queries: src/evidence decides which keywords to match (planMatch) and turns
// hits into evidence; the SQL that finds and ranks the sources lives here.

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

/**
 * At most this many matching sources are ranked. On a query this unselective, sources matching the rarer
 * keywords (the first tier) are always among them; the rest are the first found.
 */
const MAX_RANKED = 800;

export function lookupSql(keywords: string[], tiers: string[], filters: SourceFilters, limit: number): RawBuilder<LibraryHit> {
  const anyQuery = sql`websearch_to_tsquery('english', ${keywords.join(' or ')})`;
  // Ranking every match is the cost on a big library, so the first cut uses ts_rank (term frequency, cheaper
  // than cover density) on the matching terms only; the kept pool is then ranked properly on every keyword.
  const matchTerms = sql`${tiers.map((t) => `(${t})`).join(' | ').replace(/&/g, '|')}::tsquery`;
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

const SEARCH_HEADLINE_OPTIONS = 'MaxFragments=1, MaxWords=35, MinWords=15, ShortWord=2, StartSel="", StopSel="", FragmentDelimiter=" … "';

export interface SourceSearchRow extends SourceSummaryRow {
  score: number | null;
  snippet: string | null;
}

/**
 * GET /api/sources: with `q` (websearch syntax), matches by score then id, each with a snippet; without it, newest
 * first. `after` is the last row served (its score when searching).
 */
export async function searchSourceRows(
  db: DbOrTrx,
  p: { q: string | null; filters: SourceFilters; after: { id: string; s?: number } | null; limit: number },
): Promise<SourceSearchRow[]> {
  const where = sourceFilterSql(p.filters);
  const cursor = p.after;
  if (p.q !== null) {
    const tsq = sql`websearch_to_tsquery('english', ${p.q})`;
    const after = cursor ? sql`WHERE (t.score < ${cursor.s}::float8 OR (t.score = ${cursor.s}::float8 AND t.id < ${cursor.id}::bigint))` : sql``;
    // float8 throughout so the score written into the cursor compares exactly when read back.
    const { rows } = await sql<SourceSearchRow>`
      SELECT t.*, ts_headline('english', left(s.body, 20000), ${tsq}, ${SEARCH_HEADLINE_OPTIONS}) AS snippet
      FROM (
        SELECT * FROM (
          SELECT s.id, s.url, s.title, s.publisher, s.published_at, s.kind, s.reliability,
            -- Every match is scored to order the pages, so the score stays cheap: title words already weigh
            -- most in the tsvector (weight A), which is what a title-similarity term would add.
            (0.85 * ts_rank_cd(s.search, ${tsq}, 32)::float8 + 0.15 * s.reliability) AS score
          FROM sources s
          WHERE s.search @@ ${tsq} AND ${where}
        ) t ${after}
        ORDER BY t.score DESC, t.id DESC
        LIMIT ${p.limit}
      ) t JOIN sources s ON s.id = t.id
      ORDER BY t.score DESC, t.id DESC`.execute(db);
    return rows;
  }
  const after = cursor ? sql`AND s.id < ${cursor.id}::bigint` : sql``;
  const { rows } = await sql<SourceSearchRow>`
    SELECT s.id, s.url, s.title, s.publisher, s.published_at, s.kind, s.reliability, NULL::float8 AS score, NULL::text AS snippet
    FROM sources s
    WHERE ${where} ${after}
    ORDER BY s.id DESC
    LIMIT ${p.limit}`.execute(db);
  return rows;
}
