import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CLAIM_STATUSES, TASK_KINDS } from '../../domain/types.ts';
import { taskSchema, toTask } from '../schemas.ts';
import type { RouteContext } from '../context.ts';
import { computeDashboardExtras, dashboardExtrasShape } from '../dashboard-extras.ts';

const seconds = z.number().nullable().describe('seconds; null when there is no data yet');

const dashboardSchema = z
  .object({
    generatedAt: z.string(),
    countsByStatus: z.record(z.enum(CLAIM_STATUSES), z.number().int()),
    overdue: z.object({ count: z.number().int(), tasks: z.array(z.object({ task: taskSchema, claimText: z.string(), overdueSeconds: z.number() })) }),
    medianTimeToClaimSeconds: seconds,
    medianTimeToVerdictSeconds: seconds,
    stages: z.array(
      z.object({
        kind: z.enum(TASK_KINDS),
        open: z.number().int(),
        claimed: z.number().int(),
        completed: z.number().int(),
        medianQueueSeconds: seconds,
        medianWorkSeconds: seconds,
      }),
    ),
    reviewerLoad: z.array(z.object({ assignee: z.string(), review: z.number().int(), approval: z.number().int(), total: z.number().int() })),
    throughputPerDay: z.array(z.object({ day: z.string(), verdicts: z.number().int() })),
    ...dashboardExtrasShape,
  })
  .meta({ id: 'Dashboard' });

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function dashboardRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const { db } = ctx.deps;
  const cache = new Map<number, { at: number; value: z.infer<typeof dashboardSchema> }>();
  return async (app) => {
    app.get(
      '/api/dashboard',
      {
        onRequest: ctx.access(['editor']),
        schema: {
          tags: ['dashboard'],
          summary: 'Counts per status, overdue tasks, median times, queue vs work time per stage, load per reviewer, daily throughput',
          querystring: z.object({ days: z.coerce.number().int().min(1).max(365).default(30) }),
          response: { 200: dashboardSchema },
        },
      },
      async (req) => {
        const days = req.query.days;
        // Every SSE change makes each open dashboard refetch: a short-lived cache keeps a busy newsroom
        // from running these aggregates once per editor per change.
        const cached = cache.get(days);
        if (cached && Date.now() - cached.at < ctx.dashboardCacheMs) return cached.value;
        const value = await compute(days);
        cache.set(days, { at: Date.now(), value });
        return value;
      },
    );
  };

  async function compute(days: number): Promise<z.infer<typeof dashboardSchema>> {
    const [statusRows, overdueCount, overdueRows, ttc, ttv, stageRows, loadRows, throughputRows] = await Promise.all([
      db.selectFrom('claims').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute(),
      db.selectFrom('review_tasks').select((eb) => eb.fn.countAll<string>().as('n')).where('status', 'in', ['open', 'claimed']).where('due_at', '<', sql<Date>`now()`).executeTakeFirst(),
      db
        .selectFrom('review_tasks as t')
        .innerJoin('claims as c', 'c.id', 't.claim_id')
        .selectAll('t')
        .select(['c.text as claim_text', sql<number>`extract(epoch from now() - t.due_at)`.as('overdue_s')])
        .where('t.status', 'in', ['open', 'claimed'])
        .where('t.due_at', '<', sql<Date>`now()`)
        .orderBy('t.due_at')
        .limit(50)
        .execute(),
      // Time to claim: how long a review task waited before a fact-checker took it.
      sql<{ m: number | null }>`select percentile_cont(0.5) within group (order by extract(epoch from claimed_at - created_at)) as m
        from review_tasks where kind = 'review' and claimed_at is not null`.execute(db),
      // Time to verdict: from the claim entering the system to its first recorded verdict.
      sql<{ m: number | null }>`select percentile_cont(0.5) within group (order by extract(epoch from v.recorded_at - c.created_at)) as m
        from verdicts v join claims c on c.id = v.claim_id where v.version = 1`.execute(db),
      sql<{ kind: string; open: string; claimed: string; completed: string; q: number | null; w: number | null }>`
        select kind,
          count(*) filter (where status = 'open') as open,
          count(*) filter (where status = 'claimed') as claimed,
          count(*) filter (where status = 'completed') as completed,
          percentile_cont(0.5) within group (order by extract(epoch from claimed_at - created_at)) filter (where claimed_at is not null) as q,
          percentile_cont(0.5) within group (order by extract(epoch from completed_at - claimed_at)) filter (where status = 'completed' and claimed_at is not null and completed_at is not null) as w
        from review_tasks group by kind`.execute(db),
      db
        .selectFrom('review_tasks')
        .select(['assignee', 'kind', (eb) => eb.fn.countAll<string>().as('n')])
        .where('status', '=', 'claimed')
        .where('assignee', 'is not', null)
        .groupBy(['assignee', 'kind'])
        .execute(),
      sql<{ day: string; n: string }>`select to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*) as n from verdicts
        where recorded_at > now() - make_interval(days => ${days}) group by 1 order by 1`.execute(db),
    ]);

    const countsByStatus = Object.fromEntries(CLAIM_STATUSES.map((s) => [s, 0])) as Record<(typeof CLAIM_STATUSES)[number], number>;
    for (const r of statusRows) countsByStatus[r.status] = Number(r.n);

    const load = new Map<string, { assignee: string; review: number; approval: number; total: number }>();
    for (const r of loadRows) {
      if (!r.assignee) continue;
      const entry = load.get(r.assignee) ?? { assignee: r.assignee, review: 0, approval: 0, total: 0 };
      entry[r.kind] += Number(r.n);
      entry.total += Number(r.n);
      load.set(r.assignee, entry);
    }

    const stages = TASK_KINDS.map((kind) => {
      const r = stageRows.rows.find((s) => s.kind === kind);
      return { kind, open: Number(r?.open ?? 0), claimed: Number(r?.claimed ?? 0), completed: Number(r?.completed ?? 0), medianQueueSeconds: num(r?.q), medianWorkSeconds: num(r?.w) };
    });

    return {
      generatedAt: new Date().toISOString(),
      countsByStatus,
      overdue: {
        count: Number(overdueCount?.n ?? 0),
        tasks: overdueRows.map((r) => ({ task: toTask(r), claimText: r.claim_text, overdueSeconds: Number(r.overdue_s) })),
      },
      medianTimeToClaimSeconds: num(ttc.rows[0]?.m),
      medianTimeToVerdictSeconds: num(ttv.rows[0]?.m),
      stages,
      reviewerLoad: [...load.values()].sort((a, b) => b.total - a.total || a.assignee.localeCompare(b.assignee)),
      throughputPerDay: throughputRows.rows.map((r) => ({ day: r.day, verdicts: Number(r.n) })),
      ...(await computeDashboardExtras(db, { days, maxEscalations: ctx.deps.claimWorkflows.policy.maxEscalations, temporalUiUrl: ctx.deps.config.TEMPORAL_UI_URL ?? null, namespace: ctx.deps.config.TEMPORAL_NAMESPACE })),
    };
  }
}
