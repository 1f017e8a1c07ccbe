// Bundle entry for the benchmarks' worker: claimdesk's own workflows plus the two baselines B1 compares them with.
import { proxyActivities } from '@temporalio/workflow';

export { claimVerificationWorkflow, articleIntakeWorkflow, deliverVerdictWebhooks } from '../../workflows/index.ts';

/** B1's floor: a workflow that does nothing, on the same server and worker. */
export async function benchEmptyWorkflow(): Promise<void> {
  return undefined;
}

const { benchNoop } = proxyActivities<{ benchNoop(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

/** B1's second baseline: one activity that does nothing. */
export async function benchOneActivityWorkflow(): Promise<void> {
  await benchNoop();
}
