// Bundle entry for the worker: every workflow the worker runs is exported here.
export { skeletonWorkflow } from './skeleton.workflow.ts';
