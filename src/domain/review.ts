import { z } from 'zod';
import { PRIORITIES, ROLES, STANCES, type Priority, type Role } from './types.ts';
import { RATINGS } from './ratings.ts';

// Who is acting. The API resolves it from the bearer token; the workflow validators check it.
export interface Actor {
  name: string;
  role: Role;
}
export const actorSchema = z.object({ name: z.string().min(1), role: z.enum(ROLES) });

export const citationSchema = z
  .object({
    sourceId: z.string().regex(/^\d+$/, 'must be a source id').optional(),
    evidenceId: z.string().regex(/^\d+$/, 'must be an evidence id').optional(),
    url: z.url().optional(),
    quote: z.string().max(5000).optional(),
    stance: z.enum(STANCES),
  })
  .refine((c) => c.sourceId !== undefined || c.evidenceId !== undefined || c.url !== undefined, {
    message: 'a citation needs a sourceId, an evidenceId or a url',
  });
export type Citation = z.infer<typeof citationSchema>;

export const verdictInputSchema = z.object({
  rating: z.enum(RATINGS),
  summary: z.string().trim().min(1).max(2000),
  rationale: z.string().max(20000).nullable().optional(),
  citations: z.array(citationSchema).max(100),
});
export type VerdictInput = z.infer<typeof verdictInputSchema>;

/** A year: longer than any newsroom SLA, and far inside what a workflow timer takes. */
export const MAX_POLICY_DURATION_MS = 365 * 24 * 3_600_000;
const durationMs = z.number().int().positive().max(MAX_POLICY_DURATION_MS, 'must be at most a year (31536000000 ms)');

// Review policy is data passed into each claim workflow, so tests run SLAs and leases in seconds.
export const reviewPolicySchema = z.object({
  /** How long an open task may wait unclaimed before it escalates, per priority. */
  claimSlaMs: z.record(z.enum(PRIORITIES), durationMs),
  /** How long a claimed review may take before the verdict is overdue, per priority. */
  verdictSlaMs: z.record(z.enum(PRIORITIES), durationMs),
  /** A claimed task with no activity for this long goes back to the queue. */
  leaseMs: durationMs,
  /** Escalation steps: after each SLA miss the priority rises one step, up to this many times. */
  maxEscalations: z.number().int().min(0).max(10),
  /** Ratings whose verdict needs an editor's approval before it is recorded. */
  approvalRequiredFor: z.array(z.enum(RATINGS)),
  /** Number of distinct editors who must approve. */
  approvers: z.number().int().min(1).max(5),
});
export type ReviewPolicy = z.infer<typeof reviewPolicySchema>;

const HOUR = 3_600_000;
export const DEFAULT_REVIEW_POLICY: ReviewPolicy = {
  claimSlaMs: { urgent: 1 * HOUR, high: 4 * HOUR, normal: 24 * HOUR, low: 72 * HOUR },
  verdictSlaMs: { urgent: 4 * HOUR, high: 12 * HOUR, normal: 48 * HOUR, low: 120 * HOUR },
  leaseMs: 2 * HOUR,
  maxEscalations: 2,
  approvalRequiredFor: [...RATINGS],
  approvers: 1,
};

/** A stored review policy version, as the API shows it. Version 0 is the built-in default (nothing stored yet). */
export interface StoredReviewPolicy {
  version: number;
  policy: ReviewPolicy;
  note: string | null;
  createdBy: string | null;
  createdAt: Date | null;
}

/**
 * A policy read back from storage (or carried by an older run), field by field: whatever is missing or no longer
 * valid (a row saved before a field existed) takes the default's value, so no deadline is ever computed from
 * undefined. Valid input comes back unchanged.
 */
export function resolvePolicy(stored: unknown): ReviewPolicy {
  const raw = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
  const field = <K extends keyof ReviewPolicy>(key: K): ReviewPolicy[K] => {
    const parsed = reviewPolicySchema.shape[key].safeParse(raw[key]);
    return (parsed.success ? parsed.data : DEFAULT_REVIEW_POLICY[key]) as ReviewPolicy[K];
  };
  const perPriority = (key: 'claimSlaMs' | 'verdictSlaMs'): Record<Priority, number> => {
    const given = (typeof raw[key] === 'object' && raw[key] !== null ? raw[key] : {}) as Record<string, unknown>;
    return Object.fromEntries(
      PRIORITIES.map((p) => {
        const v = given[p];
        return [p, typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : DEFAULT_REVIEW_POLICY[key][p]];
      }),
    ) as Record<Priority, number>;
  };
  return {
    claimSlaMs: perPriority('claimSlaMs'),
    verdictSlaMs: perPriority('verdictSlaMs'),
    leaseMs: field('leaseMs'),
    maxEscalations: field('maxEscalations'),
    approvalRequiredFor: field('approvalRequiredFor'),
    approvers: field('approvers'),
  };
}

/** A policy version was saved but the claims in flight could not be told yet: they follow it from their next timer. */
export class PolicyRolloutError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'PolicyRolloutError';
  }
}

export function nextPriority(p: Priority): Priority {
  const i = PRIORITIES.indexOf(p);
  return PRIORITIES[Math.min(i + 1, PRIORITIES.length - 1)] ?? p;
}

/**
 * Why a task action was refused; the API maps codes to HTTP statuses (forbidden 403, conflict 409, invalid_state 409,
 * not_found 404, invalid 400). Two are not refusals but "not now", 503 with Retry-After: `stuck` (the read model
 * refuses the claim's write for good until an operator repairs it) and `timeout` (no answer within the deadline; a
 * retry with the same Idempotency-Key gets the real result).
 */
export type TaskActionErrorCode = 'forbidden' | 'conflict' | 'invalid_state' | 'not_found' | 'invalid' | 'stuck' | 'timeout';
export const TASK_ACTION_ERROR_CODES: readonly TaskActionErrorCode[] = ['forbidden', 'conflict', 'invalid_state', 'not_found', 'invalid', 'stuck', 'timeout'];

/** A claim workflow refused a human step (or the claim has no workflow to take it): the workflow decides, callers translate. */
export class TaskActionError extends Error {
  readonly code: TaskActionErrorCode;
  /** Who holds the task, when that is why it was refused. */
  readonly holder: string | null;
  readonly currentState: string | null;
  constructor(code: TaskActionErrorCode, message: string, opts: { holder?: string | null; currentState?: string | null; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TaskActionError';
    this.code = code;
    this.holder = opts.holder ?? null;
    this.currentState = opts.currentState ?? null;
  }
}
