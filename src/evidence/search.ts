import type { DbOrTrx } from '../../db/index.ts';
import { searchSourceRows } from '../../db/repositories/source-search.ts';
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
  const filters = {
    kinds,
    ...(params.minReliability !== undefined ? { minReliability: params.minReliability } : {}),
    ...(params.publishedBefore ? { publishedBefore: params.publishedBefore } : {}),
    ...(params.publishedAfter ? { publishedAfter: params.publishedAfter } : {}),
  };
  const rows = await searchSourceRows(db, { q: searching ? q : null, filters, after: cursor, limit: limit + 1 });

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
