import { sql } from 'kysely';
import type { DbOrTrx } from '../index.ts';
import type { IdempotencyKeyRow } from '../schema.ts';

// Idempotency-Key records. Plain functions on db | trx; the API hook decides what a found row means.

/** How long a key is remembered; after that the same key starts a new request. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
/** Expired rows removed per claim of a new key: the cleanup stays lazy and bounded. */
const CLEANUP_BATCH = 100;

export type ClaimKeyResult = { taken: true; attempt: number } | { taken: false; existing: IdempotencyKeyRow };

/**
 * Takes (user, key) for a new attempt: inserts an in_progress row, or, when the key is held, returns that row.
 * An expired row is replaced; an in_progress row whose attempt has not finished within `staleAfterMs`
 * (the API died while waiting) is taken over by this attempt when it is the same request.
 */
export async function claimIdempotencyKey(
  db: DbOrTrx,
  input: { userId: string; key: string; route: string; requestHash: string; staleAfterMs: number },
  attempt = 0,
): Promise<ClaimKeyResult> {
  await db
    .deleteFrom('idempotency_keys')
    .where('id', 'in', (eb) =>
      eb.selectFrom('idempotency_keys').select('id').where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`).limit(CLEANUP_BATCH),
    )
    .execute();
  await db
    .deleteFrom('idempotency_keys')
    .where('user_id', '=', input.userId)
    .where('key', '=', input.key)
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`)
    .execute();
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ user_id: input.userId, key: input.key, route: input.route, request_hash: input.requestHash, state: 'in_progress' })
    .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
    .returning('attempt')
    .executeTakeFirst();
  if (inserted) return { taken: true, attempt: inserted.attempt };
  const takenOver = await db
    .updateTable('idempotency_keys')
    .set({ locked_at: sql<Date>`now()`, attempt: sql<number>`attempt + 1` })
    .where('user_id', '=', input.userId)
    .where('key', '=', input.key)
    .where('state', '=', 'in_progress')
    .where('request_hash', '=', input.requestHash)
    .where('locked_at', '<', sql<Date>`now() - make_interval(secs => ${input.staleAfterMs / 1000})`)
    .returning('attempt')
    .executeTakeFirst();
  if (takenOver) return { taken: true, attempt: takenOver.attempt };
  const existing = await db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', input.userId).where('key', '=', input.key).executeTakeFirst();
  // Gone between the insert and this read (its attempt failed and released it): start again, a bounded number of times.
  if (!existing) {
    if (attempt >= 3) throw new Error(`idempotency key ${input.key} keeps changing hands`);
    return claimIdempotencyKey(db, input, attempt + 1);
  }
  return { taken: false, existing };
}

/** Records the answer the request got, so a retry is given the same one. */
export async function finishIdempotencyKey(db: DbOrTrx, input: { userId: string; key: string; attempt: number; status: number; contentType: string | null; body: string }): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', response_status: input.status, response_type: input.contentType, response_body: input.body })
    .where('user_id', '=', input.userId)
    .where('key', '=', input.key)
    .where('state', '=', 'in_progress')
    .where('attempt', '=', input.attempt)
    .execute();
}

/** Forgets an attempt that failed on our side (5xx), so the retry runs again. */
export async function releaseIdempotencyKey(db: DbOrTrx, input: { userId: string; key: string; attempt: number }): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('user_id', '=', input.userId)
    .where('key', '=', input.key)
    .where('state', '=', 'in_progress')
    .where('attempt', '=', input.attempt)
    .execute();
}
