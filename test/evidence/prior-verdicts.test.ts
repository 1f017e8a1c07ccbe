import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Db } from '../../db/index.ts';
import { createEvidenceActivities } from '../../activities/evidence.ts';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import { DEFAULT_MATCH_THRESHOLDS, findPriorVerdicts, meaningConflicts } from '../../src/evidence/index.ts';
import { testLogger } from '../support/env.ts';
import { openScratchDb } from './scratch-db.ts';
import type { Rating } from '../../src/domain/ratings.ts';

interface MatchCase {
  name: string;
  rated: string;
  probe: string;
  expect: 'duplicate' | 'suggestion' | 'not_duplicate' | 'none';
  conflict?: string;
}
const cases = parse(readFileSync(new URL('../fixtures/evidence/matching.yaml', import.meta.url), 'utf8')) as MatchCase[];

let scratch: Awaited<ReturnType<typeof openScratchDb>>;
let db: Db;
const ratedIds = new Map<string, string>();

async function insertClaim(text: string, status: 'researching' | 'verdict_recorded' | 'withdrawn' = 'researching'): Promise<string> {
  const row = await db.insertInto('claims').values({ text, status, fingerprint: text.toLowerCase() }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

async function rate(claimId: string, rating: Rating, version = 1): Promise<string> {
  const row = await db
    .insertInto('verdicts')
    .values({ claim_id: claimId, version, rating, summary: `rated ${rating}`, reviewer: 'rita' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

beforeAll(async () => {
  // Matching looks at every rated claim, so the fixtures get a database of their own.
  scratch = await openScratchDb('evidence_matching');
  db = scratch.db;
  for (const c of cases) {
    if (ratedIds.has(c.rated)) continue;
    const id = await insertClaim(c.rated, 'verdict_recorded');
    await rate(id, 'false');
    ratedIds.set(c.rated, id);
  }
});
afterAll(async () => {
  await scratch?.drop();
});

describe('prior-verdict matching fixtures', () => {
  it.each(cases)('$name: $expect', async (c) => {
    const ratedId = ratedIds.get(c.rated);
    const matches = await findPriorVerdicts(db, c.probe);
    const match = matches.find((m) => m.claimId === ratedId);
    if (c.expect === 'none') {
      expect(match).toBeUndefined();
      return;
    }
    if (c.expect === 'duplicate') {
      expect(match, `no match for "${c.probe}"`).toBeDefined();
      expect(match?.conflicts).toEqual([]);
      expect(match?.probableDuplicate).toBe(true);
      expect(match?.similarity).toBeGreaterThanOrEqual(DEFAULT_MATCH_THRESHOLDS.confirm);
      return;
    }
    if (c.expect === 'suggestion') {
      expect(match, `no suggestion for "${c.probe}"`).toBeDefined();
      expect(match?.probableDuplicate).toBe(false);
      expect(match?.similarity).toBeGreaterThanOrEqual(DEFAULT_MATCH_THRESHOLDS.suggest);
      return;
    }
    // not_duplicate: may still be shown (it is related) but never as a duplicate, and the reason is named.
    if (match) {
      expect(match.probableDuplicate).toBe(false);
      expect(match.similarity).toBeLessThan(DEFAULT_MATCH_THRESHOLDS.confirm);
      expect(match.textSimilarity).toBeGreaterThan(match.similarity);
    }
    expect(meaningConflicts(c.probe, c.rated).map((x) => x.kind)).toContain(c.conflict);
  });

  it('without the meaning checks, the look-alike pairs would have passed as duplicates (so the fixtures test something)', async () => {
    for (const c of cases.filter((x) => x.expect === 'not_duplicate')) {
      const match = (await findPriorVerdicts(db, c.probe)).find((m) => m.claimId === ratedIds.get(c.rated));
      expect(match?.textSimilarity, c.name).toBeGreaterThanOrEqual(DEFAULT_MATCH_THRESHOLDS.confirm);
    }
  });

  it('treats "United States" and "US" as the same name, and a dropped name as no conflict', () => {
    expect(meaningConflicts('The United States deported 271,000 people in 2024.', 'The US deported 271,000 people in 2024.')).toEqual([]);
    expect(meaningConflicts('Crime rose in Ohio in 2023.', 'Last year crime rose in Ohio.')).toEqual([]);
    expect(meaningConflicts('Crime rose by more than 10% in Ohio.', 'Crime rose by more than 10 per cent in Ohio.')).toEqual([]);
  });

  it('uses the latest verdict version and ignores withdrawn claims and the claim itself', async () => {
    const text = 'Ferry fares in Freedonia rose by 40% in 2021.';
    const id = await insertClaim(text, 'verdict_recorded');
    await rate(id, 'false', 1);
    const v2 = await rate(id, 'mostly_true', 2);
    const withdrawn = await insertClaim('Ferry fares in Freedonia rose by 40 per cent in 2021.', 'withdrawn');
    await rate(withdrawn, 'true');
    const matches = await findPriorVerdicts(db, 'In 2021 Freedonia ferry fares rose by 40%.');
    const hits = matches.filter((m) => m.claimId === id || m.claimId === withdrawn);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ claimId: id, verdictId: v2, rating: 'mostly_true', version: 2 });
    const self = await findPriorVerdicts(db, text, { excludeClaimId: id });
    expect(self.find((m) => m.claimId === id)).toBeUndefined();
  });
});

describe('matchPriorVerdicts activity', () => {
  it('records suggestions as context evidence, marks probable duplicates, never rates, and is idempotent', async () => {
    const rated = await insertClaim('Freedonia built 12 new prisons between 2015 and 2020.', 'verdict_recorded');
    const verdictId = await rate(rated, 'mostly_false');
    const lookalike = await insertClaim('Sylvania built 12 new prisons between 2015 and 2020.', 'verdict_recorded');
    await rate(lookalike, 'true');
    const claimId = await insertClaim('Between 2015 and 2020, Freedonia built 12 new prisons.');
    const activities = createEvidenceActivities({ db, log: testLogger, settings: TEST_ACTIVITY_SETTINGS });

    const first = await activities.matchPriorVerdicts({ claimId });
    const second = await activities.matchPriorVerdicts({ claimId });
    expect(first).toEqual(second);
    expect(first.probableDuplicates).toBe(1);
    expect(first.suggestions).toBeGreaterThanOrEqual(1);

    const rows = await db.selectFrom('claim_evidence').selectAll().where('claim_id', '=', claimId).execute();
    expect(rows).toHaveLength(first.suggestions);
    const dup = rows.find((r) => r.details.matchedClaimId === rated);
    expect(dup).toMatchObject({ found_by: 'prior_verdicts', stance: 'context', url: null });
    expect(dup?.details).toMatchObject({ matchedClaimId: rated, verdictId, rating: 'mostly_false', probableDuplicate: true });
    expect(dup?.details.similarity).toEqual(expect.any(Number));
    expect(dup?.reason).toMatch(/probable duplicate/);
    const other = rows.find((r) => r.details.matchedClaimId === lookalike);
    if (other) expect(other.details).toMatchObject({ probableDuplicate: false });

    // Never rates automatically: the new claim has no verdict and its status is untouched.
    const verdicts = await db.selectFrom('verdicts').select('id').where('claim_id', '=', claimId).execute();
    expect(verdicts).toEqual([]);
    const claim = await db.selectFrom('claims').select('status').where('id', '=', claimId).executeTakeFirstOrThrow();
    expect(claim.status).toBe('researching');
  });

  it('finds nothing for a claim with no rated look-alike', async () => {
    const claimId = await insertClaim('Zanzibar exported 4 tonnes of cloves to Norway in 1987.');
    const activities = createEvidenceActivities({ db, log: testLogger, settings: TEST_ACTIVITY_SETTINGS });
    await expect(activities.matchPriorVerdicts({ claimId })).resolves.toEqual({ suggestions: 0, probableDuplicates: 0 });
  });
});
