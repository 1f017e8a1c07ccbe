import type { Role } from './types.ts';

// Who may do what with a claim's tasks: the workflow's validators enforce these, and callers can use them to hide
// actions a user could not take anyway.

/** Claim and work review tasks, propose verdicts. */
export const REVIEW_ROLES: readonly Role[] = ['fact_checker', 'admin'];
/** Claim approval tasks, approve or send back proposed verdicts. */
export const APPROVAL_ROLES: readonly Role[] = ['editor', 'admin'];
/** Withdraw claims, change their priority. */
export const EDITOR_ROLES: readonly Role[] = ['editor', 'admin'];
