import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';

const { markClaimResearching } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** The walking skeleton: one activity that writes Postgres, proving client → server → worker → database. */
export async function skeletonWorkflow(claimId: string): Promise<string> {
  return markClaimResearching({ claimId, workflowId: `skeleton-${claimId}` });
}
