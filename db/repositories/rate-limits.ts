import { sql } from 'kysely';
import type { DbOrTrx } from '../index.ts';

/**
 * Counts one hit for `key` in its fixed window of `windowMs`, starting a new window when the last one ended.
 * One statement, so concurrent API processes never lose a hit. `ttlMs` is what is left of the window.
 */
export async function incrementRateLimit(db: DbOrTrx, key: string, windowMs: number): Promise<{ hits: number; ttlMs: number }> {
  const window = `${Math.max(1, Math.round(windowMs))} milliseconds`;
  const { rows } = await sql<{ hits: number; ttl_ms: string }>`
    INSERT INTO rate_limits AS r (key, hits, window_end) VALUES (${key}, 1, clock_timestamp() + ${window}::interval)
    ON CONFLICT (key) DO UPDATE SET
      hits = CASE WHEN r.window_end <= clock_timestamp() THEN 1 ELSE r.hits + 1 END,
      window_end = CASE WHEN r.window_end <= clock_timestamp() THEN clock_timestamp() + ${window}::interval ELSE r.window_end END
    RETURNING hits, greatest(0, ceil(extract(epoch FROM window_end - clock_timestamp()) * 1000))::bigint AS ttl_ms`.execute(db);
  const row = rows[0];
  if (!row) throw new Error('rate limit upsert returned no row');
  return { hits: row.hits, ttlMs: Number(row.ttl_ms) };
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
