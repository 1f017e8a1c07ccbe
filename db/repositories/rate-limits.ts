import { sql } from 'kysely';
import type { DbOrTrx } from '../index.ts';

/**
 * Counts `by` hits for `key` in its fixed window of `windowMs`, starting a new window when the last one ended.
 * One statement, so concurrent API processes never lose a hit. `ttlMs` is what is left of the window.
 */
export async function incrementRateLimit(db: DbOrTrx, key: string, windowMs: number, by = 1): Promise<{ hits: number; ttlMs: number }> {
  const [row] = await incrementRateLimits(db, [{ key, by, windowMs }]);
  if (!row) throw new Error('rate limit upsert returned no row');
  return { hits: row.hits, ttlMs: row.ttlMs };
}

/**
 * Adds hits to several keys in one statement (an API process flushing what it counted locally). Rows are written in
 * key order, so two processes flushing overlapping keys lock them in the same order and never deadlock.
 * Returns each key's count in its current window and what is left of that window.
 */
export async function incrementRateLimits(db: DbOrTrx, rows: readonly { key: string; by: number; windowMs: number }[]): Promise<{ key: string; hits: number; ttlMs: number }[]> {
  if (rows.length === 0) return [];
  const values = sql.join(rows.map((r) => sql`(${r.key}::text, ${Math.max(1, Math.round(r.by))}::int, ${Math.max(1, Math.round(r.windowMs))}::int)`));
  const { rows: out } = await sql<{ key: string; hits: number; ttl_ms: string }>`
    INSERT INTO rate_limits AS r (key, hits, window_end)
    SELECT v.key, v.by, clock_timestamp() + v.window_ms * interval '1 millisecond' FROM (VALUES ${values}) AS v(key, by, window_ms) ORDER BY v.key
    ON CONFLICT (key) DO UPDATE SET
      hits = CASE WHEN r.window_end <= clock_timestamp() THEN EXCLUDED.hits ELSE r.hits + EXCLUDED.hits END,
      window_end = CASE WHEN r.window_end <= clock_timestamp() THEN EXCLUDED.window_end ELSE r.window_end END
    RETURNING key, hits, greatest(0, ceil(extract(epoch FROM window_end - clock_timestamp()) * 1000))::bigint AS ttl_ms`.execute(db);
  return out.map((r) => ({ key: r.key, hits: r.hits, ttlMs: Number(r.ttl_ms) }));
}

/** Hits counted so far in the current window of `key` (0 when none or when it ended), without counting one. */
export async function peekRateLimit(db: DbOrTrx, key: string): Promise<{ hits: number; ttlMs: number }> {
  const row = await db
    .selectFrom('rate_limits')
    .select(['hits', sql<string>`greatest(0, ceil(extract(epoch FROM window_end - clock_timestamp()) * 1000))::bigint`.as('ttl_ms')])
    .where('key', '=', key)
    .where('window_end', '>', sql<Date>`clock_timestamp()`)
    .executeTakeFirst();
  return row ? { hits: row.hits, ttlMs: Number(row.ttl_ms) } : { hits: 0, ttlMs: 0 };
}

/** Drops windows that ended a while ago; run now and then so the table holds only live keys. */
export async function deleteExpiredRateLimits(db: DbOrTrx, olderThanMs = 60_000): Promise<number> {
  const res = await db
    .deleteFrom('rate_limits')
    .where('window_end', '<', sql<Date>`clock_timestamp() - ${`${Math.round(olderThanMs)} milliseconds`}::interval`)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
