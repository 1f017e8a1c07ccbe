// Shapes the API answers with (docs/api.md, /work/shared/API.md); only the fields the pages read.

export type Role = 'fact_checker' | 'editor' | 'admin';
export type Priority = 'low' | 'normal' | 'high' | 'urgent';
export type Stance = 'supports' | 'refutes' | 'context';
export type TaskKind = 'review' | 'approval';
export type ClaimStatus = 'extracted' | 'researching' | 'awaiting_review' | 'in_review' | 'awaiting_approval' | 'verdict_recorded' | 'withdrawn';

export const RATINGS = ['true', 'mostly_true', 'half_true', 'mostly_false', 'false', 'misleading', 'unverifiable'] as const;
export type Rating = (typeof RATINGS)[number];
export const RATING_LABELS: Record<Rating, string> = {
  true: 'True',
  mostly_true: 'Mostly true',
  half_true: 'Half true',
  mostly_false: 'Mostly false',
  false: 'False',
  misleading: 'Misleading',
  unverifiable: 'Unverifiable',
};
export const STANCES: readonly Stance[] = ['supports', 'refutes', 'context'];
export const PRIORITIES: readonly Priority[] = ['urgent', 'high', 'normal', 'low'];
export const CLAIM_STATUSES: readonly ClaimStatus[] = ['extracted', 'researching', 'awaiting_review', 'in_review', 'awaiting_approval', 'verdict_recorded', 'withdrawn'];

export interface User {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface Session {
  user: User;
  expiresAt: string;
}

export interface Quantity {
  text: string;
  value: number;
  unit: string | null;
}

export interface Check {
  type: string;
  status: 'consistent' | 'inconsistent' | 'unknown';
  detail: string;
}

export interface Claim {
  id: string;
  articleId: string | null;
  text: string;
  start: number | null;
  end: number | null;
  claimant: string | null;
  kind: string;
  score: number;
  features: string[];
  status: ClaimStatus;
  priority: Priority;
  checks: unknown[];
  quantities: unknown[];
  workflowId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Task {
  id: string;
  claimId: string;
  kind: TaskKind;
  status: 'open' | 'claimed' | 'completed' | 'cancelled';
  assignee: string | null;
  dueAt: string | null;
  priority: Priority;
  round: number;
  reviewer: string | null;
  comment: string | null;
  leaseExpiresAt: string | null;
  createdAt: string;
  claimedAt: string | null;
  completedAt: string | null;
}

export interface Citation {
  sourceId?: string;
  evidenceId?: string;
  url?: string;
  quote?: string;
  stance: Stance;
}

export interface Verdict {
  id: string;
  claimId: string;
  version: number;
  rating: Rating;
  summary: string;
  rationale: string | null;
  citations: unknown[];
  reviewer: string;
  approver: string | null;
  recordedAt: string;
  supersedes: string | null;
  correctionReason: string | null;
}

export interface Evidence {
  id: string;
  claimId: string;
  sourceId: string | null;
  url: string | null;
  title: string | null;
  quote: string | null;
  stance: Stance;
  foundBy: string;
  score: number | null;
  reason: string | null;
  retrievedAt: string;
}

export interface ClaimEvent {
  id: string;
  claimId: string;
  at: string;
  actor: string;
  type: string;
  payload: Record<string, unknown>;
}

export interface ClaimDetail {
  claim: Claim;
  evidence: Evidence[];
  tasks: Task[];
  verdicts: Verdict[];
  events: ClaimEvent[];
}

export interface Article {
  id: string;
  title: string;
  body: string;
  url: string | null;
  publisher: string | null;
  publishedAt: string | null;
  createdAt: string;
  /** pending until its claims are extracted; failed (with failureReason) when extraction was refused or timed out. */
  status: 'pending' | 'extracted' | 'failed';
  failureReason: string | null;
}

export interface QueueItem {
  task: Task;
  claim: Claim;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ExtractedClaim {
  text: string;
  start: number;
  end: number;
  score: number;
  kind: string;
  claimant: string | null;
  quantities: Quantity[];
  checks: Check[];
}

export interface LiveChange {
  claimId: string;
  taskId?: string;
  verdictId?: string;
  type: string;
  status?: ClaimStatus;
}
