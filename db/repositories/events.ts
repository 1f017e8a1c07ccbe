import { sql } from 'kysely';
import type { ClaimStatus } from '../../src/domain/types.ts';
import type { DbOrTrx } from '../index.ts';
import type { EventRow, NewEvent } from '../schema.ts';

/** Channel the API listens on (LISTEN claimdesk_events) to push live queue and claim updates. */
export const EVENTS_CHANNEL = 'claimdesk_events';

/** The payload of one NOTIFY on EVENTS_CHANNEL: what changed, for live queue and dashboard updates. */
export interface ClaimNotification {
  claimId: string;
  taskId?: string;
  verdictId?: string;
  type: string;
  status: ClaimStatus;
}

/** Sent in the caller's transaction, so listeners hear of a change exactly when it commits. */
export async function notifyClaimChange(db: DbOrTrx, payload: ClaimNotification): Promise<void> {
  await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(payload)})`.execute(db);
}

/** The audit trail, oldest first (capped: a claim's page shows the first thousand). */
export async function eventsOfClaim(db: DbOrTrx, claimId: string): Promise<EventRow[]> {
  return db.selectFrom('claim_events').selectAll().where('claim_id', '=', claimId).orderBy('at').orderBy('id').limit(1000).execute();
}

/** Appends an event unless one with the same idempotency key exists; returns its id, or undefined when it did. */
export async function appendEvent(db: DbOrTrx, values: NewEvent): Promise<string | undefined> {
  const row = await db
    .insertInto('claim_events')
    .values(values)
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/**
 * Whether an initial run other than the one with this begin key has started the claim: Postgres, not Temporal
 * (whose closed runs retention deletes), decides that a claim's process starts only once.
 */
export async function otherRunBegan(db: DbOrTrx, claimId: string, beginKey: string): Promise<boolean> {
  const row = await db
    .selectFrom('claim_events')
    .select('id')
    .where('claim_id', '=', claimId)
    .where('type', '=', 'research_started')
    .where('idempotency_key', '<>', beginKey)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Of these claims, the ones whose process has begun (a run started, or a verdict recorded). */
export async function claimsEverStarted(db: DbOrTrx, claimIds: readonly string[]): Promise<Set<string>> {
  if (claimIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('claim_events')
    .select('claim_id')
    .where('claim_id', 'in', claimIds)
    .where('type', '=', 'research_started')
    .union(db.selectFrom('verdicts').select('claim_id').where('claim_id', 'in', claimIds))
    .execute();
  return new Set(rows.map((r) => String(r.claim_id)));
}
