import { sql, type ExpressionBuilder } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { verdictInputSchema } from '../../domain/review.ts';
import { CLAIM_STATUSES, PRIORITIES, TASK_KINDS } from '../../domain/types.ts';
import type { ReviewTasksTable } from '../../../db/schema.ts';
import type { TaskAction } from '../../services/claim-workflows.ts';
import { hasRole, principalOf } from '../auth.ts';
import { HttpProblem, notFound } from '../errors.ts';
import { decodeCursor, paginate } from '../pagination.ts';
import { claimSchema, idParam, page, pageQuery, taskSchema, toClaim, toTask } from '../schemas.ts';
import { toHttpProblem } from '../task-errors.ts';
import type { RouteContext } from '../context.ts';

const queueItem = z.object({ task: taskSchema, claim: claimSchema });
const actionResponse = z.object({
  task: taskSchema,
  claim: claimSchema,
  result: z.object({ claimId: z.string(), status: z.enum(CLAIM_STATUSES), taskId: z.string().nullable(), verdictId: z.string().nullable() }),
});

// Most urgent first: priority, then the earliest deadline, then the oldest task.
const PRIORITY_RANK = sql<number>`CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`;
const DUE_KEY = sql<Date>`coalesce(t.due_at, 'infinity'::timestamptz)`;

const QUEUE_FILTERS = ['mine', 'unassigned', 'open', 'overdue'] as const;

function queueFilter(eb: ExpressionBuilder<{ t: ReviewTasksTable }, 't'>, filter: (typeof QUEUE_FILTERS)[number] | undefined, me: string) {
  const mineClaimed = eb.and([eb('t.status', '=', 'claimed'), eb('t.assignee', '=', me)]);
  switch (filter) {
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
}

export function taskRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db, claimWorkflows } = ctx.deps;

  async function loadTaskAndClaim(taskId: string) {
    const task = await db.selectFrom('review_tasks').selectAll().where('id', '=', taskId).executeTakeFirst();
    if (!task) return null;
    const claim = await db.selectFrom('claims').selectAll().where('id', '=', task.claim_id).executeTakeFirstOrThrow();
    return { task, claim };
  }

  async function act(taskId: string, build: (claimId: string) => TaskAction) {
    const before = await db.selectFrom('review_tasks').select(['claim_id']).where('id', '=', taskId).executeTakeFirst();
    if (!before) throw notFound(`task ${taskId}`);
    let result;
    try {
      result = await claimWorkflows.act(before.claim_id, build(before.claim_id));
    } catch (err) {
      throw toHttpProblem(err);
    }
    // The update returned after its Postgres write committed, so this read sees it.
    const after = await loadTaskAndClaim(taskId);
    if (!after) throw notFound(`task ${taskId}`);
    return { task: toTask(after.task), claim: toClaim(after.claim), result };
  }

  return async (app) => {
    app.get(
      '/api/queue',
      {
        onRequest: ctx.access('any'),
        schema: {
          tags: ['tasks'],
          summary: 'Open tasks and your own claimed ones, most urgent first (review: fact-checkers; approval: editors)',
          querystring: pageQuery.extend({
            kind: z.enum(TASK_KINDS).optional(),
            // No filter: open tasks and your own claimed ones. mine: claimed by you; unassigned: open only;
            // open: open and claimed by anyone (shows who holds what); overdue: open or claimed past due.
            filter: z.enum(QUEUE_FILTERS).optional(),
            priority: z.enum(PRIORITIES).optional(),
          }),
          response: { 200: page(queueItem) },
        },
      },
      async (req) => {
        const me = principalOf(req);
        const kind = req.query.kind ?? (me.user.role === 'fact_checker' ? 'review' : 'approval');
        const allowed = kind === 'review' ? (['fact_checker'] as const) : (['editor'] as const);
        if (!hasRole(me.user.role, allowed)) throw new HttpProblem(403, `the ${kind} queue is for ${allowed[0]}s; you are ${me.user.role}`);
        const after = decodeCursor(req.query.cursor, ['number', 'string', 'string']);
        let q = db
          .selectFrom('review_tasks as t')
          .selectAll('t')
          .select([PRIORITY_RANK.as('rank'), DUE_KEY.as('due_key')])
          .where('t.kind', '=', kind)
          .where((eb) => queueFilter(eb, req.query.filter, me.user.name));
        if (req.query.priority) q = q.where('t.priority', '=', req.query.priority);
        // Four-eyes: an approver never sees the approval of their own verdict.
        if (kind === 'approval') q = q.where((eb) => eb.or([eb('t.reviewer', 'is', null), eb('t.reviewer', '!=', me.user.name)]));
        if (after) q = q.where(sql<boolean>`(${PRIORITY_RANK}, ${DUE_KEY}, t.id) > (${after[0]}::int, ${after[1]}::timestamptz, ${after[2]}::bigint)`);
        const rows = await q.orderBy(PRIORITY_RANK).orderBy(DUE_KEY).orderBy('t.id').limit(req.query.limit + 1).execute();
        const { items, nextCursor } = paginate(rows, req.query.limit, (r) => [Number(r.rank), r.due_key instanceof Date ? (Number.isFinite(r.due_key.getTime()) ? r.due_key.toISOString() : 'infinity') : String(r.due_key), r.id]);
        const claimIds = [...new Set(items.map((t) => t.claim_id))];
        const claims = claimIds.length ? await db.selectFrom('claims').selectAll().where('id', 'in', claimIds).execute() : [];
        const byId = new Map(claims.map((c) => [c.id, c]));
        return {
          items: items.flatMap((t) => {
            const claim = byId.get(t.claim_id);
            return claim ? [{ task: toTask(t), claim: toClaim(claim) }] : [];
          }),
          nextCursor,
        };
      },
    );

    app.get(
      '/api/tasks/:id',
      { onRequest: ctx.access('any'), schema: { tags: ['tasks'], summary: 'A task and its claim', params: idParam, response: { 200: queueItem } } },
      async (req) => {
        const found = await loadTaskAndClaim(req.params.id);
        if (!found) throw notFound(`task ${req.params.id}`);
        return { task: toTask(found.task), claim: toClaim(found.claim) };
      },
    );

    const taskAction = (summary: string) => ({ tags: ['tasks'], summary, params: idParam, response: { 200: actionResponse } });

    app.post('/api/tasks/:id/claim', { onRequest: ctx.access('any'), schema: taskAction('Claim a task (review: fact-checker, approval: editor); 409 names the holder') }, async (req) =>
      act(req.params.id, () => ({ type: 'claim', taskId: req.params.id, actor: principalOf(req).actor })),
    );

    app.post('/api/tasks/:id/release', { onRequest: ctx.access('any'), schema: taskAction('Give a claimed task back to the queue (assignee only)') }, async (req) =>
      act(req.params.id, () => ({ type: 'release', taskId: req.params.id, actor: principalOf(req).actor })),
    );

    app.post('/api/tasks/:id/renew', { onRequest: ctx.access('any'), schema: taskAction('Keep a claimed task: moves its lease forward while the assignee is still working on it') }, async (req) =>
      act(req.params.id, () => ({ type: 'renewLease', taskId: req.params.id, actor: principalOf(req).actor })),
    );

    app.post(
      '/api/tasks/:id/verdict',
      { onRequest: ctx.access('any'), schema: { ...taskAction('Propose a verdict (assignee of a review task)'), body: verdictInputSchema } },
      async (req) => act(req.params.id, () => ({ type: 'submitVerdict', taskId: req.params.id, actor: principalOf(req).actor, verdict: req.body })),
    );

    app.post('/api/tasks/:id/approve', { onRequest: ctx.access('any'), schema: taskAction('Approve the proposed verdict (editor holding the approval task, not the reviewer)') }, async (req) =>
      act(req.params.id, () => ({ type: 'approve', taskId: req.params.id, actor: principalOf(req).actor })),
    );

    app.post(
      '/api/tasks/:id/send-back',
      { onRequest: ctx.access('any'), schema: { ...taskAction('Send the proposed verdict back to its reviewer with a comment'), body: z.object({ comment: z.string().trim().min(1).max(5000) }) } },
      async (req) => act(req.params.id, () => ({ type: 'sendBack', taskId: req.params.id, actor: principalOf(req).actor, comment: req.body.comment })),
    );
  };
}
