import { z } from 'zod';
import type { DbOrTrx } from '../../db/index.ts';
import { agingTasks, failingClaims, finishedTaskPercentiles, timeToVerdictPoints } from '../../db/repositories/dashboard-extras.ts';
import { TASK_KINDS } from '../domain/types.ts';

const percentiles = z.object({ p50: z.number().nullable(), p85: z.number().nullable() });

/** What the web dashboard adds to GET /api/dashboard; kept apart so the original figures stay as they were. */
export const dashboardExtrasShape = {
  timeToVerdict: z.array(z.object({ claimId: z.string(), recordedAt: z.string(), seconds: z.number() })).describe('first verdict per claim in the window, newest first (at most 500)'),
  aging: z.array(z.object({ kind: z.enum(TASK_KINDS), taskId: z.string(), claimId: z.string(), ageSeconds: z.number() })).describe('open and claimed tasks, oldest first (at most 500)'),
  agingPercentiles: z.object({ review: percentiles, approval: percentiles }).describe('seconds from creation to completion of finished tasks'),
  failing: z.array(z.object({ claimId: z.string(), text: z.string(), reason: z.string(), at: z.string() })),
  temporalUiUrl: z.string().nullable().describe('base of the Temporal Web UI; a workflow is at {temporalUiUrl}/namespaces/{namespace}/workflows/{workflowId}'),
  temporalNamespace: z.string(),
};

export async function computeDashboardExtras(
  db: DbOrTrx,
  opts: { days: number; maxEscalations: number; temporalUiUrl: string | null; namespace: string },
): Promise<{ [K in keyof typeof dashboardExtrasShape]: z.infer<(typeof dashboardExtrasShape)[K]> }> {
  const [ttv, aging, pct, failing] = await Promise.all([
    timeToVerdictPoints(db, opts.days, 500),
    agingTasks(db, 500),
    finishedTaskPercentiles(db),
    failingClaims(db, { stuckResearchMinutes: 15, maxEscalations: opts.maxEscalations, limit: 50 }),
  ]);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const pctOf = (kind: string) => {
    const r = pct.find((p) => p.kind === kind);
    return { p50: num(r?.p50), p85: num(r?.p85) };
  };
  return {
    timeToVerdict: ttv.map((r) => ({ claimId: r.claim_id, recordedAt: r.recorded_at.toISOString(), seconds: Number(r.seconds) })),
    aging: aging.map((r) => ({ kind: r.kind, taskId: r.id, claimId: r.claim_id, ageSeconds: Number(r.age_s) })),
    agingPercentiles: { review: pctOf('review'), approval: pctOf('approval') },
    failing: failing.map((r) => ({ claimId: r.claim_id, text: r.text, reason: r.reason, at: r.at.toISOString() })),
    temporalUiUrl: opts.temporalUiUrl ? opts.temporalUiUrl.replace(/\/+$/, '') : null,
    temporalNamespace: opts.namespace,
  };
}
