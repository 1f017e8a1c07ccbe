// Bundle entry for the worker: every workflow the worker runs is exported here.
export { claimVerificationWorkflow } from './claim-verification.workflow.ts';
export { articleIntakeWorkflow } from './article-intake.workflow.ts';
export { deliverVerdictWebhooks } from './webhook-delivery.workflow.ts';
export { policyRolloutWorkflow } from './policy-rollout.workflow.ts';
