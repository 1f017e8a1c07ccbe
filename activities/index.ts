import type { Logger } from 'pino';
import type { Db } from '../db/index.ts';

export interface ActivityDeps {
  db: Db;
  log: Logger;
}

/** Returns every activity, closed over its dependencies (no module singletons, so tests build their own). */
export function createActivities(deps: ActivityDeps) {
  return {
    async markClaimResearching(input: { claimId: string; workflowId: string }): Promise<string> {
      return deps.db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('claims')
          .set({ status: 'researching', workflow_id: input.workflowId, updated_at: new Date() })
          .where('id', '=', input.claimId)
          .returning('status')
          .executeTakeFirst();
        await trx
          .insertInto('claim_events')
          .values({ claim_id: input.claimId, actor: 'system', type: 'status_changed', payload: JSON.stringify({ to: 'researching' }), idempotency_key: `${input.workflowId}:researching` })
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .execute();
        return row?.status ?? 'missing';
      });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
