import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { countClaimsByStatus } from '../../../db/repositories/claims.ts';
import { claimedTaskLoad, countOverdueTasks, medianTimeToClaimSeconds, overdueTasks, stageStats } from '../../../db/repositories/tasks.ts';
import { medianTimeToVerdictSeconds, verdictsPerDay } from '../../../db/repositories/verdicts.ts';
import { countStuckClaims, listStuckClaims } from '../../../db/repositories/stuck-claims.ts';
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
    stuck: z
      .object({
        count: z.number().int(),
        claims: z.array(z.object({ claimId: z.string(), text: z.string(), status: z.enum(CLAIM_STATUSES), workflowId: z.string(), step: z.string(), since: z.string() })),
      })
      .describe('claims whose workflow met a write the database refuses for good (data or constraint error), longest stuck first (at most 50): an operator must repair the data or schema'),
    ...dashboardExtrasShape,
  })
  .meta({ id: 'Dashboard' });

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
    const [counts, overdueCount, overdueRows, toClaim, toVerdict, stageRows, loadRows, throughputPerDay, stuckCount, stuckRows] = await Promise.all([
      countClaimsByStatus(db),
      countOverdueTasks(db),
      overdueTasks(db, 50),
      medianTimeToClaimSeconds(db),
      medianTimeToVerdictSeconds(db),
      stageStats(db),
      claimedTaskLoad(db),
      verdictsPerDay(db, days),
      countStuckClaims(db),
      listStuckClaims(db, 50),
    ]);

    const countsByStatus = Object.fromEntries(CLAIM_STATUSES.map((s) => [s, counts.get(s) ?? 0])) as Record<(typeof CLAIM_STATUSES)[number], number>;

    const load = new Map<string, { assignee: string; review: number; approval: number; total: number }>();
    for (const r of loadRows) {
      const entry = load.get(r.assignee) ?? { assignee: r.assignee, review: 0, approval: 0, total: 0 };
      entry[r.kind] += r.n;
      entry.total += r.n;
      load.set(r.assignee, entry);
    }

    const stages = TASK_KINDS.map((kind) => {
      const r = stageRows.find((s) => s.kind === kind);
      return { kind, open: r?.open ?? 0, claimed: r?.claimed ?? 0, completed: r?.completed ?? 0, medianQueueSeconds: r?.medianQueueSeconds ?? null, medianWorkSeconds: r?.medianWorkSeconds ?? null };
    });

    return {
      generatedAt: new Date().toISOString(),
      countsByStatus,
      overdue: {
        count: overdueCount,
        tasks: overdueRows.map((r) => ({ task: toTask(r), claimText: r.claim_text, overdueSeconds: Number(r.overdue_s) })),
      },
      medianTimeToClaimSeconds: toClaim,
      medianTimeToVerdictSeconds: toVerdict,
      stages,
      reviewerLoad: [...load.values()].sort((a, b) => b.total - a.total || a.assignee.localeCompare(b.assignee)),
      throughputPerDay,
      stuck: {
        count: stuckCount,
        claims: stuckRows.map((r) => ({ claimId: String(r.claim_id), text: r.text, status: r.status, workflowId: r.workflow_id, step: r.step, since: r.stuck_at.toISOString() })),
      },
      ...(await computeDashboardExtras(db, { days, maxEscalations: (await ctx.deps.claimWorkflows.currentPolicy()).policy.maxEscalations, temporalUiUrl: ctx.deps.config.TEMPORAL_UI_URL ?? null, namespace: ctx.deps.config.TEMPORAL_NAMESPACE })),
    };
  }
}
