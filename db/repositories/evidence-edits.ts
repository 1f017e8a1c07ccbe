import { sql } from 'kysely';
import type { DbOrTrx } from '../index.ts';
import type { EvidenceRow } from '../schema.ts';
import type { Stance } from '../../src/domain/types.ts';

// Evidence a person adds or re-judges in the claim workspace, with its audit event and live notification.

/** The same channel the activities notify on (activities/review.ts), so every API process's SSE hub hears it. */
const EVENTS_CHANNEL = 'claimdesk_events';

export async function claimForEvidence(db: DbOrTrx, claimId: string): Promise<{ id: string; status: string } | undefined> {
  return db.selectFrom('claims').select(['id', 'status']).where('id', '=', claimId).executeTakeFirst();
}

/** Whether `name` holds the claim's open review task right now. */
export async function holdsReviewTask(db: DbOrTrx, claimId: string, name: string): Promise<boolean> {
  const row = await db
    .selectFrom('review_tasks')
    .select('id')
    .where('claim_id', '=', claimId)
    .where('kind', '=', 'review')
    .where('status', '=', 'claimed')
    .where('assignee', '=', name)
    .executeTakeFirst();
  return row !== undefined;
}

/** Inserts the evidence unless the same url + quote is already on the claim; `created` says which happened. */
export async function insertPersonEvidence(
  db: DbOrTrx,
  input: { claimId: string; url: string; title: string | null; quote: string; stance: Stance; foundBy: string; contentHash: string },
): Promise<{ row: EvidenceRow; created: boolean }> {
  const inserted = await db
    .insertInto('claim_evidence')
    .values({
      claim_id: input.claimId,
      url: input.url,
      title: input.title,
      quote: input.quote,
      stance: input.stance,
      found_by: input.foundBy,
      score: null,
      reason: 'added by a person',
      details: JSON.stringify({ addedBy: input.foundBy }),
      content_hash: input.contentHash,
    })
    .onConflict((oc) => oc.columns(['claim_id', 'content_hash']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  const existing = await db.selectFrom('claim_evidence').selectAll().where('claim_id', '=', input.claimId).where('content_hash', '=', input.contentHash).executeTakeFirstOrThrow();
  return { row: existing, created: false };
}

export async function findEvidence(db: DbOrTrx, claimId: string, evidenceId: string, forUpdate = false): Promise<EvidenceRow | undefined> {
  let q = db.selectFrom('claim_evidence').selectAll().where('id', '=', evidenceId).where('claim_id', '=', claimId);
  if (forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function setEvidenceStance(db: DbOrTrx, evidenceId: string, stance: Stance): Promise<EvidenceRow> {
  return db.updateTable('claim_evidence').set({ stance }).where('id', '=', evidenceId).returningAll().executeTakeFirstOrThrow();
}

/** Appends an audit event; false when an event with this key exists already (a retried request). */
export async function appendClaimEvent(db: DbOrTrx, input: { claimId: string; actor: string; type: string; payload: Record<string, unknown>; key: string }): Promise<boolean> {
  const row = await db
    .insertInto('claim_events')
    .values({ claim_id: input.claimId, actor: input.actor, type: input.type, payload: JSON.stringify(input.payload), idempotency_key: input.key })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Delivered when the surrounding transaction commits, like the activities' notifications. */
export async function notifyClaimChange(db: DbOrTrx, payload: { claimId: string; type: string; status?: string; [key: string]: unknown }): Promise<void> {
  await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(payload)})`.execute(db);
}
