import { sql } from 'kysely';
import type { DbOrTrx } from '../../db/index.ts';
import { sourceFilterSql, type SourceSummaryRow } from '../../db/repositories/sources.ts';
import { InvalidCursorError, decodeCursorJson, encodeCursor } from '../domain/cursor.ts';
import type { SourceDto } from './sources.ts';
import { hasSearchableTerms, truncateForSearch } from './text.ts';

export interface SearchSourcesParams {
  /** Free text (websearch syntax: "quoted phrases", or, -exclusions). Absent: browse newest first. */
  q?: string;
  kind?: string | string[];
  minReliability?: number;
  publishedBefore?: Date;
  publishedAfter?: Date;
  limit: number;
  cursor?: string | null;
}

/** A search hit: the source as the API shows it, without its body, plus why it matched. */
export interface SourceSearchItem extends Omit<SourceDto, 'body' | 'createdAt' | 'updatedAt'> {
  /** Best passage for the query (null when browsing). */
  snippet: string | null;
  /** Relevance (null when browsing). */
  score: number | null;
}

const NOT_OURS = 'cursor is not one this endpoint issued';

export const MAX_SEARCH_LIMIT = 200;

interface Cursor {
  id: string;
  s?: number;
}

function decodeCursor(raw: string, searching: boolean): Cursor {
  const c = decodeCursorJson(raw, NOT_OURS) as Partial<Cursor> | null;
  if (typeof c !== 'object' || c === null || typeof c.id !== 'string' || !/^\d{1,18}$/.test(c.id)) throw new InvalidCursorError(NOT_OURS);
  if (searching && (typeof c.s !== 'number' || !Number.isFinite(c.s))) throw new InvalidCursorError(NOT_OURS);
  return c as Cursor;
}

const HEADLINE_OPTIONS = 'MaxFragments=1, MaxWords=35, MinWords=15, ShortWord=2, StartSel="", StopSel="", FragmentDelimiter=" … "';

interface Row extends SourceSummaryRow {
  score: number | null;
  snippet: string | null;
}

/**
 * Searches the library (GET /api/sources). A query with nothing searchable (stop words, punctuation)
 * returns no items rather than an error; a very long query is truncated. Keyset-paginated.
 */
export async function searchSources(db: DbOrTrx, params: SearchSourcesParams): Promise<{ items: SourceSearchItem[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(MAX_SEARCH_LIMIT, Math.trunc(params.limit) || 1));
  const searching = params.q !== undefined;
  const q = searching ? truncateForSearch(params.q ?? '').trim() : '';
  if (searching && !hasSearchableTerms(q)) return { items: [], nextCursor: null };
  const cursor = params.cursor ? decodeCursor(params.cursor, searching) : null;

  const kinds = params.kind === undefined ? [] : Array.isArray(params.kind) ? params.kind : [params.kind];
  const where = sourceFilterSql({
    kinds,
    ...(params.minReliability !== undefined ? { minReliability: params.minReliability } : {}),
    ...(params.publishedBefore ? { publishedBefore: params.publishedBefore } : {}),
    ...(params.publishedAfter ? { publishedAfter: params.publishedAfter } : {}),
  });

  let rows: Row[];
  if (searching) {
    const tsq = sql`websearch_to_tsquery('english', ${q})`;
    const after = cursor ? sql`WHERE (t.score < ${cursor.s}::float8 OR (t.score = ${cursor.s}::float8 AND t.id < ${cursor.id}::bigint))` : sql``;
    // float8 throughout so the score written into the cursor compares exactly when read back.
    ({ rows } = await sql<Row>`
      SELECT t.*, ts_headline('english', left(s.body, 20000), ${tsq}, ${HEADLINE_OPTIONS}) AS snippet
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
        LIMIT ${limit + 1}
      ) t JOIN sources s ON s.id = t.id
      ORDER BY t.score DESC, t.id DESC`.execute(db));
  } else {
    const after = cursor ? sql`AND s.id < ${cursor.id}::bigint` : sql``;
    ({ rows } = await sql<Row>`
      SELECT s.id, s.url, s.title, s.publisher, s.published_at, s.kind, s.reliability, NULL::float8 AS score, NULL::text AS snippet
      FROM sources s
      WHERE ${where} ${after}
      ORDER BY s.id DESC
      LIMIT ${limit + 1}`.execute(db));
  }

  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(searching ? { id: last.id, s: last.score ?? 0 } : { id: last.id }) : null;
  return {
    items: page.map((r) => ({
      id: r.id,
      url: r.url,
      title: r.title,
      publisher: r.publisher,
      publishedAt: r.published_at ? r.published_at.toISOString() : null,
      kind: r.kind,
      reliability: r.reliability,
      snippet: r.snippet === null ? null : r.snippet.trim() || null,
      score: r.score,
    })),
    nextCursor,
  };
}
