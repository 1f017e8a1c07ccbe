import { sql, type RawBuilder } from 'kysely';
import type { Rating } from '../../src/domain/ratings.ts';
import type { DbOrTrx } from '../index.ts';
import type { NewVerdict, VerdictRow } from '../schema.ts';

/** Every recorded version, oldest first. */
export async function verdictsOfClaim(db: DbOrTrx, claimId: string): Promise<VerdictRow[]> {
  return db.selectFrom('verdicts').selectAll().where('claim_id', '=', claimId).orderBy('version', 'asc').execute();
}

export async function findVerdict(db: DbOrTrx, id: string): Promise<VerdictRow | undefined> {
  return db.selectFrom('verdicts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function latestVerdictRef(db: DbOrTrx, claimId: string): Promise<Pick<VerdictRow, 'id' | 'version'> | undefined> {
  return db.selectFrom('verdicts').select(['id', 'version']).where('claim_id', '=', claimId).orderBy('version', 'desc').limit(1).executeTakeFirst();
}

export async function verdictIdOfVersion(db: DbOrTrx, claimId: string, version: number): Promise<string | undefined> {
  return (await db.selectFrom('verdicts').select('id').where('claim_id', '=', claimId).where('version', '=', version).executeTakeFirst())?.id;
}

/** Versions are unique per claim: recording the same version again keeps the first. Returns the stored id. */
export async function recordVerdict(db: DbOrTrx, values: NewVerdict & { claim_id: string; version: number }): Promise<string> {
  await db
    .insertInto('verdicts')
    .values(values)
    .onConflict((oc) => oc.columns(['claim_id', 'version']).doNothing())
    .execute();
  const row = await db.selectFrom('verdicts').select('id').where('claim_id', '=', values.claim_id).where('version', '=', values.version).executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Claims with a recorded verdict, most recently changed first; `after` is the (last change, claim id) of
 * the last one served. Withdrawn claims are left out when asked (the public pages).
 */
export async function publishedClaimIds(
  db: DbOrTrx,
  q: { after: readonly [string, string] | null; limit: number; excludeWithdrawn: boolean },
): Promise<{ claim_id: string; last: Date }[]> {
  let query = db
    .selectFrom('verdicts')
    .innerJoin('claims', 'claims.id', 'verdicts.claim_id')
    .select(['verdicts.claim_id', (eb) => eb.fn.max('verdicts.recorded_at').as('last')])
    .groupBy('verdicts.claim_id');
  if (q.excludeWithdrawn) query = query.where('claims.status', '<>', 'withdrawn');
  if (q.after) query = query.having(sql<boolean>`(max(verdicts.recorded_at), verdicts.claim_id) < (${q.after[0]}::timestamptz, ${q.after[1]}::bigint)`);
  return query.orderBy('last', 'desc').orderBy('verdicts.claim_id', 'desc').limit(q.limit).execute();
}

/** The latest verdict of each claim, with the claim's text and claimant. */
export async function latestVerdictsWithClaim(db: DbOrTrx, claimIds: readonly string[]) {
  if (claimIds.length === 0) return [];
  return db
    .selectFrom('verdicts')
    .innerJoin('claims', 'claims.id', 'verdicts.claim_id')
    .distinctOn('verdicts.claim_id')
    .select(['verdicts.claim_id', 'verdicts.rating', 'verdicts.version', 'verdicts.recorded_at', 'claims.text', 'claims.claimant'])
    .where('verdicts.claim_id', 'in', claimIds)
    .orderBy('verdicts.claim_id')
    .orderBy('verdicts.version', 'desc')
    .execute();
}

/** Time to verdict: the median, in seconds, from a claim entering the system to its first recorded verdict. */
export async function medianTimeToVerdictSeconds(db: DbOrTrx): Promise<number | null> {
  const res = await sql<{ m: number | null }>`select percentile_cont(0.5) within group (order by extract(epoch from v.recorded_at - c.created_at)) as m
    from verdicts v join claims c on c.id = v.claim_id where v.version = 1`.execute(db);
  const m = res.rows[0]?.m;
  return m === null || m === undefined ? null : Number(m);
}

/** Verdicts recorded per UTC day over the last `days` days, oldest first. */
export async function verdictsPerDay(db: DbOrTrx, days: number): Promise<{ day: string; verdicts: number }[]> {
  const res = await sql<{ day: string; n: string }>`select to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*) as n from verdicts
    where recorded_at > now() - make_interval(days => ${days}) group by 1 order by 1`.execute(db);
  return res.rows.map((r) => ({ day: r.day, verdicts: Number(r.n) }));
}

/**
 * Prior-verdict candidates: claims with a recorded verdict (not withdrawn) sharing the probe's keywords
 * (claims_text_fts_idx) or alike by trigrams (claims_text_trgm_idx), each with its latest verdict, best first.
 * With three or more keywords a candidate must share two: a duplicate shares several words with the claim.
 */
export async function ratedClaimsLike(
  db: DbOrTrx,
  q: { keywords: string[]; probe: string; excludeClaimId: string | null; maxScanned: number },
): Promise<{ claim_id: string; text: string; verdict_id: string; version: number; rating: Rating; summary: string; recorded_at: Date }[]> {
  const { keywords, probe } = q;
  const anyQuery = sql`websearch_to_tsquery('english', ${keywords.join(' or ')})`;
  const pairs: RawBuilder<unknown>[] = [];
  for (let i = 0; i < keywords.length; i++) {
    for (let j = i + 1; j < keywords.length; j++) pairs.push(sql`websearch_to_tsquery('english', ${`${keywords[i]} ${keywords[j]}`})`);
  }
  const match = keywords.length >= 3 ? sql`(${sql.join(pairs, sql` || `)})` : anyQuery;
  const { rows } = await sql<{ claim_id: string; text: string; verdict_id: string; version: number; rating: Rating; summary: string; recorded_at: Date }>`
    SELECT c.id AS claim_id, c.text, v.id AS verdict_id, v.version, v.rating, v.summary, v.recorded_at
    FROM (
      SELECT c.id, c.text FROM claims c
      WHERE (to_tsvector('english', c.text) @@ ${match} OR c.text % ${probe})
        AND c.id <> ${q.excludeClaimId ?? '0'}::bigint
        AND c.status <> 'withdrawn'
        AND EXISTS (SELECT 1 FROM verdicts x WHERE x.claim_id = c.id)
      LIMIT ${q.maxScanned}
    ) c
    JOIN LATERAL (SELECT id, version, rating, summary, recorded_at FROM verdicts WHERE claim_id = c.id ORDER BY version DESC LIMIT 1) v ON true
    ORDER BY ts_rank_cd(to_tsvector('english', c.text), ${anyQuery}) DESC, c.id DESC
    LIMIT 200`.execute(db);
  return rows;
}

/** For the probe and each text, in order (probe first): trigram similarity to the probe and its stemmed words. */
export async function textLikeness(db: DbOrTrx, probe: string, texts: string[]): Promise<{ ord: string; trgm: number; lex: string[] }[]> {
  const { rows } = await sql<{ ord: string; trgm: number; lex: string[] }>`
    SELECT x.ord, similarity(${probe}::text, x.t)::float8 AS trgm, tsvector_to_array(to_tsvector('english', x.t)) AS lex
    FROM unnest(${[probe, ...texts]}::text[]) WITH ORDINALITY AS x(t, ord)
    ORDER BY x.ord`.execute(db);
  return rows;
}
