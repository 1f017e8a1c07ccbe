import { InvalidCursorError, decodeCursorJson, encodeCursor } from '../domain/cursor.ts';

const NOT_OURS = 'not a cursor this list handed out';

/**
 * What each position of a list's cursor holds. The SQL casts these (`::bigint`, `::timestamptz`), so each is
 * checked here for the exact form the list hands out: a forged cursor is the client's 400, never the database's 500.
 * - `id`: a bigint id as digits; `time`: an ISO-8601 UTC timestamp (or `infinity`, for tasks without a due time);
 * - `rank`: a small non-negative integer.
 */
export type CursorPart = 'id' | 'time' | 'rank';

const ID = /^[1-9]\d{0,17}$/;
// Exactly what Date#toISOString writes; anchored with fixed-width parts, so linear.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function valid(part: CursorPart, v: unknown): boolean {
  switch (part) {
    case 'id':
      return typeof v === 'string' && ID.test(v);
    case 'time':
      return typeof v === 'string' && (v === 'infinity' || (ISO_TIME.test(v) && Number.isFinite(Date.parse(v)) && new Date(v).toISOString() === v));
    case 'rank':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 1000;
  }
}

export function decodeCursor(cursor: string | undefined, shape: readonly CursorPart[]): (string | number)[] | null {
  if (cursor === undefined || cursor === '') return null;
  const parsed = decodeCursorJson(cursor, NOT_OURS);
  if (!Array.isArray(parsed) || parsed.length !== shape.length || !shape.every((part, i) => valid(part, parsed[i]))) throw new InvalidCursorError(NOT_OURS);
  return parsed as (string | number)[];
}

/** Fetch limit+1 rows; the extra one only says whether there is a next page. */
export function paginate<T>(rows: T[], limit: number, keyOf: (row: T) => (string | number | null)[]): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
