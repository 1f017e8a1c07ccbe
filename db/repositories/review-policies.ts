import { sql } from 'kysely';
import type { Db, DbOrTrx } from '../index.ts';
import { canonicalJson } from '../../src/domain/canonical-json.ts';
import { DEFAULT_REVIEW_POLICY, resolvePolicy, type ReviewPolicy, type StoredReviewPolicy } from '../../src/domain/review.ts';

const BUILT_IN: StoredReviewPolicy = { version: 0, policy: DEFAULT_REVIEW_POLICY, note: null, createdBy: null, createdAt: null };

function toStored(row: { version: number; policy: unknown; note: string | null; created_by: string; created_at: Date }): StoredReviewPolicy {
  return { version: row.version, policy: resolvePolicy(row.policy), note: row.note, createdBy: row.created_by, createdAt: row.created_at };
}

/** The policy in force: the newest stored version, or the built-in default as version 0 when none is stored. */
export async function currentReviewPolicy(db: DbOrTrx): Promise<StoredReviewPolicy> {
  const row = await db.selectFrom('review_policies').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row ? toStored(row) : BUILT_IN;
}

/** Every stored version, newest first (the policy's audit trail). */
export async function listReviewPolicies(db: DbOrTrx, limit: number): Promise<StoredReviewPolicy[]> {
  const rows = await db.selectFrom('review_policies').selectAll().orderBy('version', 'desc').limit(limit).execute();
  return rows.map(toStored);
}

export type SavePolicyOutcome =
  | { kind: 'saved'; stored: StoredReviewPolicy }
  /** The same policy as the one in force: nothing stored (a retried save, or a no-op). */
  | { kind: 'unchanged'; stored: StoredReviewPolicy }
  /** expectedVersion was not the version in force: someone saved meanwhile. */
  | { kind: 'conflict'; current: StoredReviewPolicy };

/**
 * Stores the next version, in one transaction that locks the table against a concurrent save (versions stay
 * gapless and each save sees the one before it).
 */
export async function saveReviewPolicy(db: Db, input: { policy: ReviewPolicy; note: string | null; createdBy: string; expectedVersion?: number }): Promise<SavePolicyOutcome> {
  return db.transaction().execute(async (trx) => {
    await sql`LOCK TABLE review_policies IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
    const current = await currentReviewPolicy(trx);
    if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) return { kind: 'conflict', current };
    if (canonicalJson(current.policy) === canonicalJson(input.policy)) return { kind: 'unchanged', stored: current };
    const row = await trx
      .insertInto('review_policies')
      .values({ version: current.version + 1, policy: JSON.stringify(input.policy), note: input.note, created_by: input.createdBy })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { kind: 'saved', stored: toStored(row) };
  });
}

/** Claims whose workflow is running a round (research, review or approval), in id order after `after`: who must hear of a new policy. */
export async function listClaimsInFlight(db: DbOrTrx, after: string | null, limit: number): Promise<Array<{ claimId: string; workflowId: string }>> {
  let q = db
    .selectFrom('claims')
    .select(['id', 'workflow_id'])
    .where('status', 'in', ['researching', 'awaiting_review', 'in_review', 'awaiting_approval'])
    .where('workflow_id', 'is not', null)
    .orderBy('id', 'asc')
    .limit(limit);
  if (after !== null) q = q.where('id', '>', after);
  const rows = await q.execute();
  return rows.map((r) => ({ claimId: r.id, workflowId: r.workflow_id as string }));
}
