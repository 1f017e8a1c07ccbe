import { continueAsNew, getExternalWorkflowHandle, isCancellation, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReviewActivities } from '../activities/review.ts';
import { policyChangedSignal, type PolicyRolloutInput, type PolicyRolloutResult } from './messages.ts';

const { listClaimsInFlight } = proxyActivities<ReviewActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Claims signalled per page (one activity, then that many signals in one workflow task). */
const PAGE = 100;
/** Continue-as-new past this many history events: each signal costs two. */
const HISTORY_LIMIT = 4000;

/**
 * Tells every claim in flight that review policy `version` was stored: each running claim workflow gets the
 * policyChanged signal and reads the newest version itself (claims that finish meanwhile are skipped, and a claim
 * the listing misses picks the version up at its next timer). Durable: a worker or server restart resumes after
 * the last page signalled.
 */
export async function policyRolloutWorkflow(input: PolicyRolloutInput): Promise<PolicyRolloutResult> {
  let after = input.after ?? null;
  let signalled = input.signalled ?? 0;
  let skipped = input.skipped ?? 0;
  for (;;) {
    const page = await listClaimsInFlight({ after, limit: PAGE });
    const outcomes = await Promise.all(
      page.map(({ workflowId }) =>
        getExternalWorkflowHandle(workflowId)
          .signal(policyChangedSignal, { version: input.version })
          .then(
            () => true,
            (err: unknown) => {
              if (isCancellation(err)) throw err;
              // The claim's workflow closed since the listing: nothing to tell it.
              return false;
            },
          ),
      ),
    );
    for (const ok of outcomes) {
      if (ok) signalled += 1;
      else skipped += 1;
    }
    if (page.length < PAGE) return { version: input.version, signalled, skipped };
    after = page[page.length - 1]!.claimId;
    if (workflowInfo().historyLength > HISTORY_LIMIT) {
      await continueAsNew<typeof policyRolloutWorkflow>({ version: input.version, after, signalled, skipped });
    }
  }
}
