import type { DbOrTrx } from '../index.ts';

export interface StuckMark {
  claimId: string;
  workflowId: string;
  step: string;
  reason: string;
  at: Date;
}

/** Records (or refreshes) why a claim is stuck; the first time it got stuck is kept. */
export async function markClaimStuck(db: DbOrTrx, m: StuckMark): Promise<void> {
  await db
    .insertInto('stuck_claims')
    .values({ claim_id: m.claimId, workflow_id: m.workflowId, step: m.step, reason: m.reason, stuck_at: m.at })
    .onConflict((oc) => oc.column('claim_id').doUpdateSet((eb) => ({ workflow_id: eb.ref('excluded.workflow_id'), step: eb.ref('excluded.step'), reason: eb.ref('excluded.reason') })))
    .execute();
}

/** A transition of the claim committed: it is moving again. */
export async function clearClaimStuck(db: DbOrTrx, claimId: string): Promise<boolean> {
  const result = await db.deleteFrom('stuck_claims').where('claim_id', '=', claimId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Stuck claims, longest stuck first, with the claim's text and status (the dashboard's "stuck" list). */
export async function listStuckClaims(db: DbOrTrx, limit: number) {
  return db
    .selectFrom('stuck_claims')
    .innerJoin('claims', 'claims.id', 'stuck_claims.claim_id')
    .select(['stuck_claims.claim_id', 'stuck_claims.workflow_id', 'stuck_claims.step', 'stuck_claims.reason', 'stuck_claims.stuck_at', 'claims.text', 'claims.status'])
    .orderBy('stuck_claims.stuck_at', 'asc')
    .orderBy('stuck_claims.claim_id', 'asc')
    .limit(limit)
    .execute();
}

export async function countStuckClaims(db: DbOrTrx): Promise<number> {
  const row = await db.selectFrom('stuck_claims').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
