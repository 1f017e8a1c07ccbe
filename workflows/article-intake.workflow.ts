import { ParentClosePolicy, proxyActivities, startChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { IntakeActivities } from '../activities/intake.ts';
import { DEFAULT_REVIEW_POLICY } from '../src/domain/review.ts';
import { claimVerificationWorkflow } from './claim-verification.workflow.ts';
import { articleIdKey } from '../src/domain/search-attributes.ts';
import { claimWorkflowId, type ArticleIntakeInput, type ArticleIntakeResult } from './messages.ts';

const { extractAndSaveClaims } = proxyActivities<IntakeActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['not_found', 'ExtractionInputError'] },
});

/**
 * Article → claims → one claim workflow per check-worthy claim. Idempotent end to end: claims are keyed by
 * their span, and a claim workflow that already exists (running or finished) is left alone.
 */
export async function articleIntakeWorkflow(input: ArticleIntakeInput): Promise<ArticleIntakeResult> {
  upsertSearchAttributes([{ key: articleIdKey, value: input.articleId }]);
  const policy = input.policy ?? DEFAULT_REVIEW_POLICY;
  const saved = await extractAndSaveClaims({ articleId: input.articleId });
  const claimIds = saved.claimIds;
  // Only claims never started (Postgres says so, whatever Temporal still remembers); histories recorded before
  // the activity answered toStart started every claim.
  const toStart = (saved as Partial<typeof saved>).toStart ?? claimIds;
  const taskQueue = workflowInfo().taskQueue;
  const outcomes = await Promise.all(
    toStart.map(async (claimId) => {
      try {
        await startChild(claimVerificationWorkflow, {
          workflowId: claimWorkflowId(claimId),
          // (The policy version and SLA rules pass on only when the intake was given them: older histories start children
          // with exactly the input they recorded.)
          args: [{ claimId, policy, mode: 'initial', ...(input.policyVersion !== undefined ? { policyVersion: input.policyVersion } : {}), ...(input.slaRules !== undefined ? { slaRules: input.slaRules } : {}) }],
          taskQueue,
          // Claims outlive the intake: reviews take days, the intake minutes.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        return claimId;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return null;
        throw err;
      }
    }),
  );
  return { articleId: input.articleId, claimIds, started: outcomes.filter((id): id is string => id !== null) };
}
