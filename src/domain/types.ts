// Status values are literal unions so the compiler catches a misspelt state.
export const CLAIM_STATUSES = [
  'extracted',
  'researching',
  'awaiting_review',
  'in_review',
  'awaiting_approval',
  'verdict_recorded',
  'withdrawn',
] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TASK_KINDS = ['review', 'approval'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const TASK_STATUSES = ['open', 'claimed', 'completed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const STANCES = ['supports', 'refutes', 'context'] as const;
export type Stance = (typeof STANCES)[number];

export const ROLES = ['fact_checker', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
