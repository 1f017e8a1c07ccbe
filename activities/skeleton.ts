import type { ActivityDeps } from './deps.ts';

export function createSkeletonActivities(deps: ActivityDeps) {
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
