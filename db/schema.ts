import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable, Updateable } from 'kysely';
import type { ClaimStatus, Priority, TaskKind, TaskStatus, Stance, Role } from '../src/domain/types.ts';
import type { Rating } from '../src/domain/ratings.ts';
import type { DeliveryOutcome, WebhookEvent } from '../src/domain/webhooks.ts';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
// bigserial ids come back from pg as strings; they are strings in the API too.
type Id = ColumnType<string, never, never>;
type RefId = ColumnType<string, string | number, string | number>;

export interface UsersTable {
  id: Generated<string> & Id;
  name: string;
  role: Role;
  created_at: Generated<Date>;
  disabled_at: NullableTimestamp;
  password_hash: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SessionsTable {
  id: Generated<string> & Id;
  id_hash: string;
  user_id: RefId;
  created_at: Generated<Date>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  last_seen_at: Generated<Date>;
  revoked_at: NullableTimestamp;
}

export interface IdempotencyKeysTable {
  id: Generated<string> & Id;
  user_id: RefId;
  key: string;
  route: string;
  request_hash: string;
  state: 'in_progress' | 'done';
  response_status: number | null;
  response_type: string | null;
  response_body: string | null;
  created_at: Generated<Date>;
  locked_at: Generated<Date>;
  attempt: Generated<number>;
}

export interface ApiTokensTable {
  id: Generated<string> & Id;
  user_id: RefId;
  token_hash: string;
  label: string | null;
  created_at: Generated<Date>;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface ArticlesTable {
  id: Generated<string> & Id;
  title: string;
  body: string;
  url: string | null;
  publisher: string | null;
  published_at: NullableTimestamp;
  content_hash: string;
  /** 'news' or 'transcript' (migration 0008). */
  kind: Generated<'news' | 'transcript'>;
  workflow_id: string | null;
  submitted_by: RefId | null;
  created_at: Generated<Date>;
  /** Whether the intake extracted its claims (migration 0010). */
  status: Generated<ArticleStatus>;
  /** Why extraction failed (status 'failed'), e.g. it passed EXTRACTION_DEADLINE_MS. */
  failure_reason: string | null;
}

export type ArticleStatus = 'pending' | 'extracted' | 'failed';

export interface ClaimsTable {
  id: Generated<string> & Id;
  article_id: RefId | null;
  text: string;
  start_offset: number | null;
  end_offset: number | null;
  claimant: string | null;
  kind: Generated<string>;
  score: Generated<number>;
  quantities: JSONColumnType<unknown[], string | undefined, string>;
  checks: JSONColumnType<unknown[], string | undefined, string>;
  features: JSONColumnType<string[], string | undefined, string>;
  /** Transcripts: the bracketed timestamp the claim was spoken at ("00:12:34"), migration 0008. */
  spoken_at: Generated<string | null>;
  status: ClaimStatus;
  priority: Generated<Priority>;
  workflow_id: string | null;
  fingerprint: string;
  submitted_by: RefId | null;
  idempotency_key: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SourcesTable {
  id: Generated<string> & Id;
  url: string;
  title: string;
  publisher: string | null;
  published_at: NullableTimestamp;
  kind: Generated<string>;
  reliability: Generated<number>;
  body: Generated<string>;
  content_hash: string;
  search: ColumnType<string, never, never>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ClaimEvidenceTable {
  id: Generated<string> & Id;
  claim_id: RefId;
  source_id: RefId | null;
  url: string | null;
  title: string | null;
  quote: string | null;
  stance: Stance;
  found_by: string;
  score: number | null;
  reason: string | null;
  details: JSONColumnType<Record<string, unknown>, string | undefined, string>;
  content_hash: string;
  retrieved_at: Generated<Date>;
}

export interface ReviewTasksTable {
  id: Generated<string> & Id;
  claim_id: RefId;
  kind: TaskKind;
  status: TaskStatus;
  assignee: string | null;
  lease_expires_at: NullableTimestamp;
  priority: Generated<Priority>;
  due_at: NullableTimestamp;
  round: Generated<number>;
  reviewer: string | null;
  comment: string | null;
  idempotency_key: string;
  created_at: Generated<Date>;
  claimed_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  escalated_at: NullableTimestamp;
  escalation_level: Generated<number>;
}

export interface VerdictsTable {
  id: Generated<string> & Id;
  claim_id: RefId;
  version: number;
  rating: Rating;
  summary: string;
  rationale: string | null;
  citations: JSONColumnType<unknown[], string | undefined, string>;
  reviewer: string;
  approver: string | null;
  recorded_at: Generated<Date>;
  supersedes: RefId | null;
  correction_reason: string | null;
}

export interface ClaimEventsTable {
  id: Generated<string> & Id;
  claim_id: RefId;
  at: Generated<Date>;
  actor: string;
  type: string;
  payload: JSONColumnType<Record<string, unknown>, string | undefined, string>;
  idempotency_key: string;
}

export interface WebhooksTable {
  id: Generated<string> & Id;
  url: string;
  /** A secret stored before encryption; the first read encrypts it into secret_ciphertext and clears this. */
  secret: string | null;
  /** AES-256-GCM of the HMAC key under WEBHOOK_SECRET_KEY (src/publishing/webhook-secrets.ts). */
  secret_ciphertext: string | null;
  events: ColumnType<WebhookEvent[], WebhookEvent[], WebhookEvent[]>;
  description: string | null;
  created_by: string;
  created_at: Generated<Date>;
  deleted_at: NullableTimestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<string> & Id;
  delivery_id: string;
  webhook_id: RefId;
  claim_id: RefId;
  verdict_id: RefId;
  event: WebhookEvent;
  attempt: number;
  outcome: DeliveryOutcome;
  final: Generated<boolean>;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: Generated<Date>;
}

/** A claim whose workflow met a read-model write Postgres refuses for good (see migration 0011). */
export interface StuckClaimsTable {
  claim_id: RefId;
  workflow_id: string;
  step: string;
  reason: string;
  stuck_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** One saved version of the review policy (migration 0014); rows are never updated. */
export interface ReviewPoliciesTable {
  version: number;
  policy: ColumnType<unknown, string, string>;
  note: string | null;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  idempotency_keys: IdempotencyKeysTable;
  articles: ArticlesTable;
  claims: ClaimsTable;
  sources: SourcesTable;
  claim_evidence: ClaimEvidenceTable;
  review_tasks: ReviewTasksTable;
  verdicts: VerdictsTable;
  claim_events: ClaimEventsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  rate_limits: RateLimitsTable;
  stuck_claims: StuckClaimsTable;
  review_policies: ReviewPoliciesTable;
}

/** Fixed-window request counters shared by every API process. */
export interface RateLimitsTable {
  key: string;
  hits: number;
  window_end: Date;
}

export type UserRow = Selectable<UsersTable>;
export type ArticleRow = Selectable<ArticlesTable>;
export type NewArticle = Insertable<ArticlesTable>;
export type ClaimRow = Selectable<ClaimsTable>;
export type NewClaim = Insertable<ClaimsTable>;
export type ClaimUpdate = Updateable<ClaimsTable>;
export type SourceRow = Selectable<SourcesTable>;
export type NewSource = Insertable<SourcesTable>;
export type EvidenceRow = Selectable<ClaimEvidenceTable>;
export type NewEvidence = Insertable<ClaimEvidenceTable>;
export type TaskRow = Selectable<ReviewTasksTable>;
export type NewTask = Insertable<ReviewTasksTable>;
export type VerdictRow = Selectable<VerdictsTable>;
export type NewVerdict = Insertable<VerdictsTable>;
export type EventRow = Selectable<ClaimEventsTable>;
export type NewEvent = Insertable<ClaimEventsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type NewWebhook = Insertable<WebhooksTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
export type NewDelivery = Insertable<WebhookDeliveriesTable>;
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
