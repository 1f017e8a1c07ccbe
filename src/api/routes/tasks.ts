import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { claimsByIds, getClaim } from '../../../db/repositories/claims.ts';
import { findTask, QUEUE_FILTERS, queueTasks } from '../../../db/repositories/tasks.ts';
import { verdictInputSchema } from '../../domain/review.ts';
import { CLAIM_STATUSES, PRIORITIES, TASK_KINDS } from '../../domain/types.ts';
import type { TaskAction } from '../../claims-client/claim-workflows.ts';
import { hasRole, TASK_ROLE } from '../../domain/roles.ts';
import { principalOf } from '../auth.ts';
import { HttpProblem, notFound } from '../errors.ts';
import { idempotencyOptions } from '../idempotency.ts';
import { decodeCursor, paginate } from '../pagination.ts';
import { claimSchema, idParam, page, pageQuery, taskSchema, toClaim, toTask } from '../schemas.ts';
import type { RouteContext } from '../context.ts';

const queueItem = z.object({ task: taskSchema, claim: claimSchema });
const actionResponse = z.object({
  task: taskSchema,
  claim: claimSchema,
  result: z.object({ claimId: z.string(), status: z.enum(CLAIM_STATUSES), taskId: z.string().nullable(), verdictId: z.string().nullable() }),
});

export function taskRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db, claimWorkflows } = ctx.deps;

  async function loadTaskAndClaim(taskId: string) {
    const task = await findTask(db, taskId);
    if (!task) return null;
    const claim = await getClaim(db, task.claim_id);
    return { task, claim };
  }

  async function act(req: FastifyRequest, taskId: string, build: (claimId: string) => TaskAction) {
    const before = await findTask(db, taskId);
    if (!before) throw notFound(`task ${taskId}`);
    const result = await claimWorkflows.act(before.claim_id, build(before.claim_id), idempotencyOptions(req));
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
        const kind = req.query.kind ?? (me.user.role === TASK_ROLE.review ? 'review' : 'approval');
        const role = TASK_ROLE[kind];
        if (!hasRole(me.user.role, [role])) throw new HttpProblem(403, `the ${kind} queue is for ${role}s; you are ${me.user.role}`);
        const after = decodeCursor(req.query.cursor, ['rank', 'time', 'id']) as [number, string, string] | null;
        const rows = await queueTasks(db, { kind, userName: me.user.name, filter: req.query.filter, priority: req.query.priority, after, limit: req.query.limit + 1 });
        const { items, nextCursor } = paginate(rows, req.query.limit, (r) => [Number(r.rank), r.due_key instanceof Date ? (Number.isFinite(r.due_key.getTime()) ? r.due_key.toISOString() : 'infinity') : String(r.due_key), r.id]);
        const claimIds = [...new Set(items.map((t) => t.claim_id))];
        const claims = await claimsByIds(db, claimIds);
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
      act(req, req.params.id, () => ({ type: 'claim', taskId: req.params.id, actor: principalOf(req).actor })),
    );

    app.post('/api/tasks/:id/release', { onRequest: ctx.access('any'), schema: taskAction('Give a claimed task back to the queue (assignee only)') }, async (req) =>
      act(req, req.params.id, () => ({ type: 'release', taskId: req.params.id, actor: principalOf(req).actor })),
    );

    app.post('/api/tasks/:id/renew', { onRequest: ctx.access('any'), schema: taskAction('Keep a claimed task: moves its lease forward while the assignee is still working on it') }, async (req) =>
      act(req, req.params.id, () => ({ type: 'renewLease', taskId: req.params.id, actor: principalOf(req).actor })),
    );

    app.post(
      '/api/tasks/:id/verdict',
      { onRequest: ctx.access('any'), schema: { ...taskAction('Propose a verdict (assignee of a review task)'), body: verdictInputSchema } },
      async (req) => act(req, req.params.id, () => ({ type: 'submitVerdict', taskId: req.params.id, actor: principalOf(req).actor, verdict: req.body })),
    );

    app.post('/api/tasks/:id/approve', { onRequest: ctx.access('any'), schema: taskAction('Approve the proposed verdict (editor holding the approval task, not the reviewer)') }, async (req) =>
      act(req, req.params.id, () => ({ type: 'approve', taskId: req.params.id, actor: principalOf(req).actor })),
    );

    app.post(
      '/api/tasks/:id/send-back',
      { onRequest: ctx.access('any'), schema: { ...taskAction('Send the proposed verdict back to its reviewer with a comment'), body: z.object({ comment: z.string().trim().min(1).max(5000) }) } },
      async (req) => act(req, req.params.id, () => ({ type: 'sendBack', taskId: req.params.id, actor: principalOf(req).actor, comment: req.body.comment })),
    );
  };
}
