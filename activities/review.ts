import { ApplicationFailure, Context } from '@temporalio/activity';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { DbOrTrx } from '../db/index.ts';
import type { ClaimStatus, Priority, TaskKind, TaskStatus } from '../src/domain/types.ts';
import type { Citation } from '../src/domain/review.ts';
import { checkArithmetic, extractQuantities } from '../src/extraction/index.ts';
import type { ActivityDeps } from './deps.ts';

/** Channel the API listens on (LISTEN claimdesk_events) to push live queue and claim updates. */
export const EVENTS_CHANNEL = 'claimdesk_events';

export interface ClaimNotification {
  claimId: string;
  taskId?: string;
  verdictId?: string;
  type: string;
  status: ClaimStatus;
}

/** The full target state of one task after a transition (absolute values, so a retried write is a no-op). */
export interface TaskWrite {
  id: string;
  /** Present when this transition creates the task. */
  create?: { kind: TaskKind; round: number; idempotencyKey: string };
  status: TaskStatus;
  assignee: string | null;
  priority: Priority;
  reviewer: string | null;
  comment: string | null;
  leaseExpiresAt: number | null;
  dueAt: number | null;
  claimedAt: number | null;
  completedAt: number | null;
  escalatedAt: number | null;
  escalationLevel: number;
}

export interface VerdictWrite {
  version: number;
  rating: string;
  summary: string;
  rationale: string | null;
  citations: Citation[];
  reviewer: string;
  approver: string | null;
  supersedes: string | null;
  correctionReason: string | null;
}

export interface TransitionInput {
  claimId: string;
  workflowId: string;
  /** Unique per transition (workflow id + verdict version + step + sequence): the claim_events idempotency key. */
  key: string;
  /** Omitted when the transition only records an event (e.g. an evidence provider failing). */
  status?: ClaimStatus;
  priority?: Priority;
  tasks?: TaskWrite[];
  verdict?: VerdictWrite;
  event: { type: string; actor: string; payload: Record<string, unknown> };
  /** The task the notification is about, for live queue updates. */
  taskId?: string | null;
  /** Workflow time of the transition, so the audit trail and task timestamps agree with the workflow's clock. */
  at: number;
}

export interface TransitionResult {
  applied: boolean;
  verdictId: string | null;
}

export interface LeaseRenewalInput {
  claimId: string;
  taskId: string;
  holder: string;
  leaseExpiresAt: number;
  /** The claim's status, for the live-update notification. */
  status: ClaimStatus;
}

export interface BeginRunInput {
  claimId: string;
  workflowId: string;
  key: string;
  mode: 'initial' | 'correction';
  correction: { reason: string; actor: { name: string; role: string } } | null;
  at: number;
}

export interface BeginRunResult {
  priority: Priority;
  latestVerdict: { id: string; version: number } | null;
}

class AlreadyApplied extends Error {}

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

async function notify(trx: DbOrTrx, payload: ClaimNotification): Promise<void> {
  await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(payload)})`.execute(trx);
}

function activityLog(deps: ActivityDeps, claimId: string): Logger {
  let workflowId: string | undefined;
  try {
    workflowId = Context.current().info.workflowExecution?.workflowId;
  } catch {
    workflowId = undefined;
  }
  return deps.log.child({ workflowId, claimId });
}

/**
 * Read-model writes of the claim workflow: every transition updates claims, review_tasks and verdicts,
 * appends a claim_events row and notifies listeners in ONE transaction. The event's idempotency key makes
 * a retried or duplicated attempt a no-op: whichever attempt commits first wins, the other rolls back.
 */
export function createReviewActivities(deps: ActivityDeps) {
  const { db } = deps;

  return {
    /** A task id handed out before the row exists, so the workflow knows it before anyone can see the task. */
    async allocateTaskId(): Promise<string> {
      const row = await sql<{ id: string }>`SELECT nextval(pg_get_serial_sequence('review_tasks', 'id'))::text AS id`.execute(db);
      const id = row.rows[0]?.id;
      if (!id) throw new Error('could not allocate a task id');
      return id;
    },

    async beginRun(input: BeginRunInput): Promise<BeginRunResult> {
      const log = activityLog(deps, input.claimId);
      return db.transaction().execute(async (trx) => {
        const claim = await trx.selectFrom('claims').select(['id', 'priority', 'status']).where('id', '=', input.claimId).forUpdate().executeTakeFirst();
        if (!claim) throw ApplicationFailure.nonRetryable(`claim ${input.claimId} does not exist`, 'not_found');
        const latest = await trx
          .selectFrom('verdicts')
          .select(['id', 'version'])
          .where('claim_id', '=', input.claimId)
          .orderBy('version', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (input.mode === 'correction' && !latest) {
          throw ApplicationFailure.nonRetryable(`claim ${input.claimId} has no verdict to correct`, 'invalid_state');
        }
        const inserted = await trx
          .insertInto('claim_events')
          .values({
            claim_id: input.claimId,
            at: new Date(input.at),
            actor: input.correction?.actor.name ?? 'system',
            type: input.mode === 'correction' ? 'correction_opened' : 'research_started',
            payload: JSON.stringify(input.mode === 'correction' ? { reason: input.correction?.reason ?? null, previousVerdictId: latest?.id ?? null, previousVersion: latest?.version ?? null } : {}),
            idempotency_key: input.key,
          })
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (inserted) {
          // A correction goes straight to a new review round; an initial run researches first.
          const status: ClaimStatus = input.mode === 'correction' ? 'awaiting_review' : 'researching';
          await trx.updateTable('claims').set({ status, workflow_id: input.workflowId, updated_at: new Date(input.at) }).where('id', '=', input.claimId).execute();
          await notify(trx, { claimId: input.claimId, type: input.mode === 'correction' ? 'correction_opened' : 'research_started', status });
          log.info({ mode: input.mode }, 'claim workflow run begun');
        }
        return { priority: claim.priority, latestVerdict: latest ? { id: latest.id, version: latest.version } : null };
      });
    },

    /**
     * The claim's automated checks: extracted claims carry the checks computed at extraction; a claim
     * entered by hand gets its quantities and arithmetic checked here.
     */
    async runAutomatedChecks(input: { claimId: string; key: string; at: number }): Promise<unknown[]> {
      return db.transaction().execute(async (trx) => {
        const claim = await trx.selectFrom('claims').select(['text', 'article_id', 'checks', 'quantities', 'start_offset', 'status']).where('id', '=', input.claimId).executeTakeFirst();
        if (!claim) throw ApplicationFailure.nonRetryable(`claim ${input.claimId} does not exist`, 'not_found');
        let checks = claim.checks;
        const extracted = claim.article_id !== null && claim.start_offset !== null;
        if (!extracted && checks.length === 0) {
          const quantities = extractQuantities(claim.text).map(({ text, value, unit }) => ({ text, value, unit }));
          checks = checkArithmetic(claim.text, quantities);
          await trx
            .updateTable('claims')
            .set({ checks: JSON.stringify(checks), quantities: JSON.stringify(quantities), updated_at: new Date(input.at) })
            .where('id', '=', input.claimId)
            .execute();
        }
        await trx
          .insertInto('claim_events')
          .values({ claim_id: input.claimId, at: new Date(input.at), actor: 'system', type: 'automated_checks', payload: JSON.stringify({ checks }), idempotency_key: input.key })
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .execute();
        return checks;
      });
    },

    /**
     * Moves a held task's lease forward. No claim_event: a reviewer's client renews every few minutes, and the
     * audit trail keeps the claim, release and expiry that matter. Idempotent without a key: the lease only
     * moves forward and only while the same person still holds the task, so a retried or late attempt never
     * shortens a newer lease nor touches a task that was released, completed or taken by someone else.
     */
    async renewTaskLease(input: LeaseRenewalInput): Promise<{ applied: boolean }> {
      return db.transaction().execute(async (trx) => {
        const lease = new Date(input.leaseExpiresAt);
        const updated = await trx
          .updateTable('review_tasks')
          .set({ lease_expires_at: lease })
          .where('id', '=', input.taskId)
          .where('claim_id', '=', input.claimId)
          .where('status', '=', 'claimed')
          .where('assignee', '=', input.holder)
          .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', lease)]))
          .executeTakeFirst();
        const applied = updated.numUpdatedRows > 0n;
        if (applied) await notify(trx, { claimId: input.claimId, taskId: input.taskId, type: 'lease_renewed', status: input.status });
        return { applied };
      });
    },

    async applyTransition(input: TransitionInput): Promise<TransitionResult> {
      const log = activityLog(deps, input.claimId);
      try {
        return await db.transaction().execute(async (trx) => {
          let verdictId: string | null = null;
          for (const task of input.tasks ?? []) {
            if (task.create) {
              await sql`INSERT INTO review_tasks (id, claim_id, kind, status, assignee, lease_expires_at, priority, due_at, round, reviewer, comment, idempotency_key, created_at, claimed_at, completed_at, escalated_at, escalation_level)
                VALUES (${task.id}, ${input.claimId}, ${task.create.kind}, ${task.status}, ${task.assignee}, ${toDate(task.leaseExpiresAt)}, ${task.priority}, ${toDate(task.dueAt)},
                  ${task.create.round}, ${task.reviewer}, ${task.comment}, ${task.create.idempotencyKey}, ${new Date(input.at)}, ${toDate(task.claimedAt)}, ${toDate(task.completedAt)},
                  ${toDate(task.escalatedAt)}, ${task.escalationLevel})
                ON CONFLICT (idempotency_key) DO NOTHING`.execute(trx);
            } else {
              await trx
                .updateTable('review_tasks')
                .set({
                  status: task.status,
                  assignee: task.assignee,
                  priority: task.priority,
                  reviewer: task.reviewer,
                  comment: task.comment,
                  lease_expires_at: toDate(task.leaseExpiresAt),
                  due_at: toDate(task.dueAt),
                  claimed_at: toDate(task.claimedAt),
                  completed_at: toDate(task.completedAt),
                  escalated_at: toDate(task.escalatedAt),
                  escalation_level: task.escalationLevel,
                })
                .where('id', '=', task.id)
                .where('claim_id', '=', input.claimId)
                .execute();
            }
          }
          if (input.verdict) {
            const v = input.verdict;
            await trx
              .insertInto('verdicts')
              .values({
                claim_id: input.claimId,
                version: v.version,
                rating: v.rating,
                summary: v.summary,
                rationale: v.rationale,
                citations: JSON.stringify(v.citations),
                reviewer: v.reviewer,
                approver: v.approver,
                recorded_at: new Date(input.at),
                supersedes: v.supersedes,
                correction_reason: v.correctionReason,
              })
              .onConflict((oc) => oc.columns(['claim_id', 'version']).doNothing())
              .execute();
            const row = await trx.selectFrom('verdicts').select('id').where('claim_id', '=', input.claimId).where('version', '=', v.version).executeTakeFirstOrThrow();
            verdictId = row.id;
          }
          if (input.status !== undefined || input.priority !== undefined) {
            await trx
              .updateTable('claims')
              .set({ ...(input.status !== undefined ? { status: input.status } : {}), ...(input.priority !== undefined ? { priority: input.priority } : {}), updated_at: new Date(input.at) })
              .where('id', '=', input.claimId)
              .execute();
          }
          const payload = verdictId ? { ...input.event.payload, verdictId } : input.event.payload;
          const event = await trx
            .insertInto('claim_events')
            .values({ claim_id: input.claimId, at: new Date(input.at), actor: input.event.actor, type: input.event.type, payload: JSON.stringify(payload), idempotency_key: input.key })
            .onConflict((oc) => oc.column('idempotency_key').doNothing())
            .returning('id')
            .executeTakeFirst();
          // Another attempt of this same transition committed first: undo ours so a late attempt never overwrites newer state.
          if (!event) throw new AlreadyApplied();
          const current = await trx.selectFrom('claims').select('status').where('id', '=', input.claimId).executeTakeFirstOrThrow();
          await notify(trx, {
            claimId: input.claimId,
            ...(input.taskId ? { taskId: input.taskId } : {}),
            ...(verdictId ? { verdictId } : {}),
            type: input.event.type,
            status: current.status,
          });
          log.info({ type: input.event.type, status: current.status, taskId: input.taskId ?? null }, 'claim transition');
          return { applied: true, verdictId };
        });
      } catch (err) {
        if (!(err instanceof AlreadyApplied)) throw err;
        const verdict = input.verdict
          ? await db.selectFrom('verdicts').select('id').where('claim_id', '=', input.claimId).where('version', '=', input.verdict.version).executeTakeFirst()
          : undefined;
        log.info({ type: input.event.type }, 'claim transition already applied');
        return { applied: false, verdictId: verdict?.id ?? null };
      }
    },
  };
}

export type ReviewActivities = ReturnType<typeof createReviewActivities>;
