import { z } from 'zod';
import { CLAIM_STATUSES, PRIORITIES, ROLES, STANCES, TASK_KINDS, TASK_STATUSES } from '../domain/types.ts';
import { RATINGS } from '../domain/ratings.ts';
import { verdictInputSchema } from '../domain/review.ts';
import type { ArticleRow, ClaimRow, EventRow, EvidenceRow, TaskRow, VerdictRow } from '../../db/schema.ts';

// Response shapes, named in the OpenAPI document. Ids are strings, times ISO 8601 UTC, fields camelCase.

/** Longest `q` a search accepts: a pasted article paragraph or a 10 kB claim is searched (truncated), not refused. */
export const MAX_SEARCH_QUERY_CHARS = 20_000;

export const idParam = z.object({ id: z.string().regex(/^\d{1,18}$/, 'must be a numeric id') });
export const iso = z.string().describe('ISO 8601 UTC');

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .loose()
  .meta({ id: 'Problem' });

export const articleSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    body: z.string(),
    url: z.string().nullable(),
    publisher: z.string().nullable(),
    publishedAt: iso.nullable(),
    kind: z.enum(['news', 'transcript']).describe('news article or transcript of speech (SPEAKER: turns); decides how claims are extracted and which threshold applies'),
    workflowId: z.string().nullable(),
    createdAt: iso,
    /** pending until the claims are extracted; failed (with failureReason) when extraction was refused or timed out. */
    status: z.enum(['pending', 'extracted', 'failed']),
    failureReason: z.string().nullable(),
  })
  .meta({ id: 'Article' });

export const claimSchema = z
  .object({
    id: z.string(),
    articleId: z.string().nullable(),
    text: z.string(),
    start: z.number().int().nullable(),
    end: z.number().int().nullable(),
    claimant: z.string().nullable(),
    kind: z.string(),
    score: z.number(),
    timestamp: z.string().nullable().describe('transcripts: the last bracketed timestamp before the claim ("00:12:34"); null otherwise'),
    features: z.array(z.string()).describe('why the extractor scored the claim as it did: the signals it found (percentage, attribution, superlative…); empty for a claim entered by hand'),
    status: z.enum(CLAIM_STATUSES),
    priority: z.enum(PRIORITIES),
    checks: z.array(z.unknown()),
    quantities: z.array(z.unknown()),
    workflowId: z.string().nullable(),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'Claim' });

export const taskSchema = z
  .object({
    id: z.string(),
    claimId: z.string(),
    kind: z.enum(TASK_KINDS),
    status: z.enum(TASK_STATUSES),
    assignee: z.string().nullable(),
    dueAt: iso.nullable(),
    priority: z.enum(PRIORITIES),
    round: z.number().int(),
    reviewer: z.string().nullable(),
    comment: z.string().nullable(),
    leaseExpiresAt: iso.nullable(),
    createdAt: iso,
    claimedAt: iso.nullable(),
    completedAt: iso.nullable(),
  })
  .meta({ id: 'Task' });

export const citationOutSchema = z.object({
  sourceId: z.string().optional(),
  evidenceId: z.string().optional(),
  url: z.string().optional(),
  quote: z.string().optional(),
  stance: z.enum(STANCES),
});

export const verdictSchema = z
  .object({
    id: z.string(),
    claimId: z.string(),
    version: z.number().int(),
    rating: z.enum(RATINGS),
    summary: z.string(),
    rationale: z.string().nullable(),
    citations: z.array(z.unknown()),
    reviewer: z.string(),
    approver: z.string().nullable(),
    recordedAt: iso,
    supersedes: z.string().nullable(),
    correctionReason: z.string().nullable(),
  })
  .meta({ id: 'Verdict' });

export const evidenceSchema = z
  .object({
    id: z.string(),
    claimId: z.string(),
    sourceId: z.string().nullable(),
    url: z.string().nullable(),
    title: z.string().nullable(),
    quote: z.string().nullable(),
    stance: z.enum(STANCES),
    foundBy: z.string(),
    score: z.number().nullable(),
    reason: z.string().nullable(),
    retrievedAt: iso,
  })
  .meta({ id: 'Evidence' });

export const eventSchema = z
  .object({ id: z.string(), claimId: z.string(), at: iso, actor: z.string(), type: z.string(), payload: z.record(z.string(), z.unknown()) })
  .meta({ id: 'ClaimEvent' });

export const userSchema = z.object({ id: z.string(), name: z.string(), role: z.enum(ROLES), createdAt: iso }).meta({ id: 'User' });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function toArticle(r: ArticleRow): z.infer<typeof articleSchema> {
  return { id: r.id, title: r.title, body: r.body, url: r.url, publisher: r.publisher, publishedAt: isoOrNull(r.published_at), kind: r.kind, workflowId: r.workflow_id, createdAt: r.created_at.toISOString(), status: r.status, failureReason: r.failure_reason };
}

export function toClaim(r: ClaimRow): z.infer<typeof claimSchema> {
  return {
    id: r.id,
    articleId: r.article_id,
    text: r.text,
    start: r.start_offset,
    end: r.end_offset,
    claimant: r.claimant,
    kind: r.kind,
    score: r.score,
    timestamp: r.spoken_at,
    features: r.features,
    status: r.status,
    priority: r.priority,
    checks: r.checks,
    quantities: r.quantities,
    workflowId: r.workflow_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export function toTask(r: TaskRow): z.infer<typeof taskSchema> {
  return {
    id: r.id,
    claimId: r.claim_id,
    kind: r.kind,
    status: r.status,
    assignee: r.assignee,
    dueAt: isoOrNull(r.due_at),
    priority: r.priority,
    round: r.round,
    reviewer: r.reviewer,
    comment: r.comment,
    leaseExpiresAt: isoOrNull(r.lease_expires_at),
    createdAt: r.created_at.toISOString(),
    claimedAt: isoOrNull(r.claimed_at),
    completedAt: isoOrNull(r.completed_at),
  };
}

export function toVerdict(r: VerdictRow): z.infer<typeof verdictSchema> {
  return {
    id: r.id,
    claimId: r.claim_id,
    version: r.version,
    rating: r.rating as z.infer<typeof verdictSchema>['rating'],
    summary: r.summary,
    rationale: r.rationale,
    citations: r.citations,
    reviewer: r.reviewer,
    approver: r.approver,
    recordedAt: r.recorded_at.toISOString(),
    supersedes: r.supersedes,
    correctionReason: r.correction_reason,
  };
}

export function toEvidence(r: EvidenceRow): z.infer<typeof evidenceSchema> {
  return {
    id: r.id,
    claimId: r.claim_id,
    sourceId: r.source_id,
    url: r.url,
    title: r.title,
    quote: r.quote,
    stance: r.stance,
    foundBy: r.found_by,
    score: r.score,
    reason: r.reason,
    retrievedAt: r.retrieved_at.toISOString(),
  };
}

export function toEvent(r: EventRow): z.infer<typeof eventSchema> {
  return { id: r.id, claimId: r.claim_id, at: r.at.toISOString(), actor: r.actor, type: r.type, payload: r.payload };
}

const epochMs = z.number().describe('epoch milliseconds (workflow time)');

/** The claim workflow's own view (claimStateQuery): ClaimLiveState in workflows/messages.ts. */
export const claimLiveStateSchema = z
  .object({
    claimId: z.string(),
    workflowId: z.string(),
    mode: z.enum(['initial', 'correction']),
    stage: z.enum(['research', 'review', 'approval', 'done', 'withdrawn']),
    status: z.enum(CLAIM_STATUSES),
    priority: z.enum(PRIORITIES),
    round: z.number().int(),
    version: z.number().int(),
    tasks: z.array(
      z.object({
        id: z.string(),
        kind: z.enum(TASK_KINDS),
        status: z.enum(TASK_STATUSES),
        assignee: z.string().nullable(),
        priority: z.enum(PRIORITIES),
        round: z.number().int(),
        escalationLevel: z.number().int(),
        openSince: epochMs,
        claimedAt: epochMs.nullable(),
        completedAt: epochMs.nullable(),
        leaseExpiresAt: epochMs.nullable(),
        dueAt: epochMs.nullable(),
        reviewer: z.string().nullable(),
        comment: z.string().nullable(),
      }),
    ),
    proposed: z.object({ verdict: verdictInputSchema, reviewer: z.string(), round: z.number().int(), approvals: z.array(z.string()) }).nullable(),
    verdictId: z.string().nullable(),
    supersedes: z.string().nullable(),
    correctionReason: z.string().nullable(),
    checks: z.array(z.unknown()),
    evidenceProviderFailures: z.array(z.string()),
    seq: z.number().int(),
  })
  .meta({ id: 'ClaimLiveState' });
