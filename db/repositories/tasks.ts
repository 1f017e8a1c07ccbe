import { sql } from 'kysely';
import type { Priority, TaskKind, TaskStatus } from '../../src/domain/types.ts';
import type { DbOrTrx } from '../index.ts';
import type { TaskRow } from '../schema.ts';

/** A task id handed out before the row exists, so the workflow knows it before anyone can see the task. */
export async function allocateTaskId(db: DbOrTrx): Promise<string> {
  const row = await sql<{ id: string }>`SELECT nextval(pg_get_serial_sequence('review_tasks', 'id'))::text AS id`.execute(db);
  const id = row.rows[0]?.id;
  if (!id) throw new Error('could not allocate a task id');
  return id;
}

export async function findTask(db: DbOrTrx, id: string): Promise<TaskRow | undefined> {
  return db.selectFrom('review_tasks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function tasksOfClaim(db: DbOrTrx, claimId: string): Promise<TaskRow[]> {
  return db.selectFrom('review_tasks').selectAll().where('claim_id', '=', claimId).orderBy('id').execute();
}

// Most urgent first: priority, then the earliest deadline, then the oldest task.
const PRIORITY_RANK = sql<number>`CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`;
const DUE_KEY = sql<Date>`coalesce(t.due_at, 'infinity'::timestamptz)`;

export type QueueRow = TaskRow & { rank: number; due_key: Date };

export const QUEUE_FILTERS = ['mine', 'unassigned', 'open', 'overdue'] as const;
export type QueueFilter = (typeof QUEUE_FILTERS)[number];

/**
 * Tasks of one kind, most urgent first. Without a filter: open tasks plus those `userName` holds; `mine`: claimed by
 * `userName`; `unassigned`: open only; `open`: open or claimed by anyone; `overdue`: open or claimed past due.
 * Four-eyes: an approver never sees the approval of their own verdict. `after` is the (rank, due key, id) of the
 * last row served.
 */
export async function queueTasks(db: DbOrTrx, q: QueueQuery): Promise<QueueRow[]> {
  return queuePageQuery(db, q).execute();
}

/** Postgres's plan of the queue page exactly as queueTasks runs it (tests and B3 check it is an index scan, no sort). */
export async function explainQueuePage(db: DbOrTrx, q: QueueQuery): Promise<string> {
  const rows = await queuePageQuery(db, q).explain();
  return rows.map((r) => String(r['QUERY PLAN'])).join('\n');
}

type QueueQuery = { kind: TaskKind; userName: string; filter?: QueueFilter; priority?: Priority; after: readonly [number, string, string] | null; limit: number };

function queuePageQuery(db: DbOrTrx, q: QueueQuery) {
  let query = db
    .selectFrom('review_tasks as t')
    .selectAll('t')
    .select([PRIORITY_RANK.as('rank'), DUE_KEY.as('due_key')])
    .where('t.kind', '=', q.kind)
    .where((eb) => {
      const mineClaimed = eb.and([eb('t.status', '=', 'claimed'), eb('t.assignee', '=', q.userName)]);
      switch (q.filter) {
        case 'mine':
          return mineClaimed;
        case 'unassigned':
          return eb('t.status', '=', 'open');
        case 'open':
          return eb('t.status', 'in', ['open', 'claimed']);
        case 'overdue':
          return eb.and([eb('t.status', 'in', ['open', 'claimed']), eb('t.due_at', '<', sql<Date>`now()`)]);
        default:
          return eb.or([eb('t.status', '=', 'open'), mineClaimed]);
      }
    });
  if (q.priority) query = query.where('t.priority', '=', q.priority);
  if (q.kind === 'approval') query = query.where((eb) => eb.or([eb('t.reviewer', 'is', null), eb('t.reviewer', '!=', q.userName)]));
  if (q.after) query = query.where(sql<boolean>`(${PRIORITY_RANK}, ${DUE_KEY}, t.id) > (${q.after[0]}::int, ${q.after[1]}::timestamptz, ${q.after[2]}::bigint)`);
  return query.orderBy(PRIORITY_RANK).orderBy(DUE_KEY).orderBy('t.id').limit(q.limit);
}

/** Open or claimed tasks past their due time: the dashboard and the metrics gauge both show this one number. */
export async function countOverdueTasks(db: DbOrTrx): Promise<number> {
  const row = await db
    .selectFrom('review_tasks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', 'in', ['open', 'claimed'])
    .where('due_at', '<', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The longest-overdue tasks first, with their claim's text. */
export async function overdueTasks(db: DbOrTrx, limit: number): Promise<(TaskRow & { claim_text: string; overdue_s: number })[]> {
  return db
    .selectFrom('review_tasks as t')
    .innerJoin('claims as c', 'c.id', 't.claim_id')
    .selectAll('t')
    .select(['c.text as claim_text', sql<number>`extract(epoch from now() - t.due_at)`.as('overdue_s')])
    .where('t.status', 'in', ['open', 'claimed'])
    .where('t.due_at', '<', sql<Date>`now()`)
    .orderBy('t.due_at')
    .limit(limit)
    .execute();
}

export async function countActiveTasks(db: DbOrTrx): Promise<{ kind: TaskKind; status: TaskStatus; n: number }[]> {
  const rows = await db
    .selectFrom('review_tasks')
    .select(['kind', 'status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('status', 'in', ['open', 'claimed'])
    .groupBy(['kind', 'status'])
    .execute();
  return rows.map((r) => ({ kind: r.kind, status: r.status, n: Number(r.n) }));
}

/** Claimed tasks per assignee and kind. */
export async function claimedTaskLoad(db: DbOrTrx): Promise<{ assignee: string; kind: TaskKind; n: number }[]> {
  const rows = await db
    .selectFrom('review_tasks')
    .select(['assignee', 'kind', (eb) => eb.fn.countAll<string>().as('n')])
    .where('status', '=', 'claimed')
    .where('assignee', 'is not', null)
    .groupBy(['assignee', 'kind'])
    .execute();
  return rows.flatMap((r) => (r.assignee ? [{ assignee: r.assignee, kind: r.kind, n: Number(r.n) }] : []));
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Time to claim: the median wait, in seconds, of a review task before a fact-checker took it. */
export async function medianTimeToClaimSeconds(db: DbOrTrx): Promise<number | null> {
  const res = await sql<{ m: number | null }>`select percentile_cont(0.5) within group (order by extract(epoch from claimed_at - created_at)) as m
    from review_tasks where kind = 'review' and claimed_at is not null`.execute(db);
  return num(res.rows[0]?.m);
}

export interface StageStats {
  kind: TaskKind;
  open: number;
  claimed: number;
  completed: number;
  medianQueueSeconds: number | null;
  medianWorkSeconds: number | null;
}

/** Per task kind: counts by status, and the median time waiting in the queue vs being worked on. */
export async function stageStats(db: DbOrTrx): Promise<StageStats[]> {
  const res = await sql<{ kind: TaskKind; open: string; claimed: string; completed: string; q: number | null; w: number | null }>`
    select kind,
      count(*) filter (where status = 'open') as open,
      count(*) filter (where status = 'claimed') as claimed,
      count(*) filter (where status = 'completed') as completed,
      percentile_cont(0.5) within group (order by extract(epoch from claimed_at - created_at)) filter (where claimed_at is not null) as q,
      percentile_cont(0.5) within group (order by extract(epoch from completed_at - claimed_at)) filter (where status = 'completed' and claimed_at is not null and completed_at is not null) as w
    from review_tasks group by kind`.execute(db);
  return res.rows.map((r) => ({ kind: r.kind, open: Number(r.open), claimed: Number(r.claimed), completed: Number(r.completed), medianQueueSeconds: num(r.q), medianWorkSeconds: num(r.w) }));
}

export interface TaskState {
  status: TaskStatus;
  assignee: string | null;
  priority: Priority;
  reviewer: string | null;
  comment: string | null;
  lease_expires_at: Date | null;
  due_at: Date | null;
  claimed_at: Date | null;
  completed_at: Date | null;
  escalated_at: Date | null;
  escalation_level: number;
}

/** A task whose id the workflow chose (deterministic), with its whole state. */
export interface NewTaskWithId extends TaskState {
  id: string;
  claim_id: string;
  kind: TaskKind;
  round: number;
  idempotency_key: string;
  created_at: Date;
}

/** Creates the task; a task with the same idempotency key already there wins. */
export async function insertTaskIfNew(db: DbOrTrx, t: NewTaskWithId): Promise<void> {
  // The schema's id column is generated (never inserted); here the workflow chose it, hence raw SQL.
  await sql`INSERT INTO review_tasks (id, claim_id, kind, status, assignee, lease_expires_at, priority, due_at, round, reviewer, comment, idempotency_key, created_at, claimed_at, completed_at, escalated_at, escalation_level)
    VALUES (${t.id}, ${t.claim_id}, ${t.kind}, ${t.status}, ${t.assignee}, ${t.lease_expires_at}, ${t.priority}, ${t.due_at},
      ${t.round}, ${t.reviewer}, ${t.comment}, ${t.idempotency_key}, ${t.created_at}, ${t.claimed_at}, ${t.completed_at},
      ${t.escalated_at}, ${t.escalation_level})
    ON CONFLICT (idempotency_key) DO NOTHING`.execute(db);
}

export async function setTaskState(db: DbOrTrx, claimId: string, taskId: string, state: TaskState): Promise<void> {
  await db.updateTable('review_tasks').set(state).where('id', '=', taskId).where('claim_id', '=', claimId).execute();
}

/**
 * Moves a held task's lease forward, only while `holder` still holds it and only forward, so a late or
 * retried renewal never shortens a newer lease. True when it moved.
 */
export async function extendLease(db: DbOrTrx, q: { claimId: string; taskId: string; holder: string; leaseExpiresAt: Date }): Promise<boolean> {
  const updated = await db
    .updateTable('review_tasks')
    .set({ lease_expires_at: q.leaseExpiresAt })
    .where('id', '=', q.taskId)
    .where('claim_id', '=', q.claimId)
    .where('status', '=', 'claimed')
    .where('assignee', '=', q.holder)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', q.leaseExpiresAt)]))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}
