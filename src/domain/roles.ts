import type { Role, TaskKind } from './types.ts';

// Who may do what, written once: the API's access rules, the task queue and the claims client use hasRole with
// these lists, and the claim workflow's validators (workflows/claim-state.ts) use the role lists below.

/** Admins may do anything; everyone else needs one of the allowed roles. */
export function hasRole(role: Role, allowed: readonly Role[]): boolean {
  return role === 'admin' || allowed.includes(role);
}

/** The role that works each kind of task: fact-checkers review, editors approve. */
export const TASK_ROLE: Record<TaskKind, Role> = { review: 'fact_checker', approval: 'editor' };

/** Withdrawing, reprioritising and correcting a claim are editorial decisions. */
export const EDITORIAL_ROLES: readonly Role[] = ['editor'];

// The same rules as explicit lists, admins included, for the workflow's validators.
/** Claim and work review tasks, propose verdicts. */
export const REVIEW_ROLES: readonly Role[] = [TASK_ROLE.review, 'admin'];
/** Claim approval tasks, approve or send back proposed verdicts. */
export const APPROVAL_ROLES: readonly Role[] = [TASK_ROLE.approval, 'admin'];
/** Withdraw claims, change their priority. */
export const EDITOR_ROLES: readonly Role[] = [...EDITORIAL_ROLES, 'admin'];
