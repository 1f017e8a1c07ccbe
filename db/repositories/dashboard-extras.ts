import { sql } from 'kysely';
import type { DbOrTrx } from '../index.ts';

// The editor dashboard's charts beyond the counts: raw points, not averages, because the UI draws percentiles.

export async function timeToVerdictPoints(db: DbOrTrx, days: number, limit: number): Promise<{ claim_id: string; recorded_at: Date; seconds: number }[]> {
  const res = await sql<{ claim_id: string; recorded_at: Date; seconds: number }>`
    select v.claim_id::text as claim_id, v.recorded_at, extract(epoch from v.recorded_at - c.created_at)::float8 as seconds
    from verdicts v join claims c on c.id = v.claim_id
    where v.version = 1 and v.recorded_at > now() - make_interval(days => ${days})
    order by v.recorded_at desc limit ${limit}`.execute(db);
  return res.rows;
}

export async function agingTasks(db: DbOrTrx, limit: number): Promise<{ kind: 'review' | 'approval'; id: string; claim_id: string; age_s: number }[]> {
  const res = await sql<{ kind: 'review' | 'approval'; id: string; claim_id: string; age_s: number }>`
    select kind, id::text as id, claim_id::text as claim_id, extract(epoch from now() - created_at)::float8 as age_s
    from review_tasks where status in ('open', 'claimed')
    order by created_at limit ${limit}`.execute(db);
  return res.rows;
}

/** p50 and p85 of how long finished tasks took from creation to completion, per kind. */
export async function finishedTaskPercentiles(db: DbOrTrx): Promise<{ kind: string; p50: number | null; p85: number | null }[]> {
  const res = await sql<{ kind: string; p50: number | null; p85: number | null }>`
    select kind,
      percentile_cont(0.5) within group (order by extract(epoch from completed_at - created_at)) as p50,
      percentile_cont(0.85) within group (order by extract(epoch from completed_at - created_at)) as p85
    from review_tasks where status = 'completed' and completed_at is not null
    group by kind`.execute(db);
  return res.rows;
}

/**
 * Claims that need a person to look at the process rather than the claim: an evidence provider failed, research
 * has not finished for a long time, or a task escalated as far as the policy goes and still waits.
 */
export async function failingClaims(db: DbOrTrx, opts: { stuckResearchMinutes: number; maxEscalations: number; limit: number }): Promise<{ claim_id: string; text: string; reason: string; at: Date }[]> {
  const res = await sql<{ claim_id: string; text: string; reason: string; at: Date }>`
    select distinct on (claim_id) claim_id::text as claim_id, text, reason, at from (
      select c.id as claim_id, c.text, 'evidence lookup failed: ' || coalesce(e.payload->>'message', e.payload->>'step', 'unknown error') as reason, e.at
      from claim_events e join claims c on c.id = e.claim_id
      where e.type = 'evidence_provider_failed' and c.status not in ('verdict_recorded', 'withdrawn', 'extracted')
      union all
      select c.id, c.text, 'still researching after ' || ${opts.stuckResearchMinutes} || ' minutes', c.updated_at
      from claims c
      where c.status = 'researching' and c.updated_at < now() - make_interval(mins => ${opts.stuckResearchMinutes})
      union all
      select c.id, c.text, t.kind || ' task escalated ' || t.escalation_level || ' times and still unclaimed', coalesce(t.escalated_at, t.created_at)
      from review_tasks t join claims c on c.id = t.claim_id
      where t.status = 'open' and t.escalation_level >= ${opts.maxEscalations} and ${opts.maxEscalations} > 0
    ) f
    order by claim_id, at desc`.execute(db);
  return res.rows.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, opts.limit);
}
