import type { Role, TaskKind } from './types.ts';

// Who may do what, written once for the API's access rules, the task queue and the claim-workflows client.
// (The claim workflow validates again with its own copy: workflow code is replayed and keeps its rules frozen.)

/** Admins may do anything; everyone else needs one of the allowed roles. */
export function hasRole(role: Role, allowed: readonly Role[]): boolean {
  return role === 'admin' || allowed.includes(role);
}

/** The role that works each kind of task: fact-checkers review, editors approve. */
export const TASK_ROLE: Record<TaskKind, Role> = { review: 'fact_checker', approval: 'editor' };

/** Withdrawing, reprioritising and correcting a claim are editorial decisions. */
export const EDITORIAL_ROLES: readonly Role[] = ['editor'];
