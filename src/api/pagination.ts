import { InvalidCursorError, decodeCursorJson, encodeCursor } from '../domain/cursor.ts';

const NOT_OURS = 'not a cursor this list handed out';

export function decodeCursor(cursor: string | undefined, shape: readonly ('string' | 'number' | 'string?')[]): (string | number | null)[] | null {
  if (cursor === undefined || cursor === '') return null;
  const invalid = () => new InvalidCursorError(NOT_OURS);
  const parsed = decodeCursorJson(cursor, NOT_OURS);
  if (!Array.isArray(parsed) || parsed.length !== shape.length) throw invalid();
  shape.forEach((t, i) => {
    const v: unknown = parsed[i];
    const ok = t === 'number' ? typeof v === 'number' && Number.isFinite(v) : t === 'string' ? typeof v === 'string' : typeof v === 'string' || v === null;
    if (!ok) throw invalid();
  });
  return parsed as (string | number | null)[];
}

/** Fetch limit+1 rows; the extra one only says whether there is a next page. */
export function paginate<T>(rows: T[], limit: number, keyOf: (row: T) => (string | number | null)[]): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
