import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Db } from '../../db/index.ts';
import { createEvidenceActivities } from '../../activities/evidence.ts';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import { createLibraryProvider, sourceInputSchema, upsertSources, type EvidenceQuery } from '../../src/evidence/index.ts';
import { testLogger } from '../support/env.ts';
import { openScratchDb } from './scratch-db.ts';

const FIXTURE_BASE = 'https://fixtures.claimdesk.test/';
const fixture = (name: string) => new URL(`../fixtures/evidence/${name}`, import.meta.url);
const ranking = parse(readFileSync(fixture('ranking.yaml'), 'utf8')) as Array<{ claim: string; first: string }>;

let scratch: Awaited<ReturnType<typeof openScratchDb>>;
let db: Db;

beforeAll(async () => {
  scratch = await openScratchDb('evidence_library');
  db = scratch.db;
  const inputs = readFileSync(fixture('library.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => sourceInputSchema.parse(JSON.parse(l)));
  await upsertSources(db, inputs);
});
afterAll(async () => {
  await scratch?.drop();
});

const query = (text: string, claimDate: Date | null = null): EvidenceQuery => ({ text, quantities: [], claimDate });

describe('library provider ranking on the fixture library', () => {
  it.each(ranking)('puts $first first for "$claim"', async ({ claim, first }) => {
    const results = await createLibraryProvider(db).search(query(claim), { limit: 5 });
    expect(results[0]?.url).toBe(FIXTURE_BASE + first);
  });

  it('gives every candidate a snippet from the source, a reason naming the matched words and a score', async () => {
    const [top] = await createLibraryProvider(db).search(query('Euro area inflation slowed to 2.4% in March.'), { limit: 3 });
    expect(top?.quote).toMatch(/2\.4%/);
    expect(top?.reason).toMatch(/^Matches “/);
    expect(top?.reason).toContain('“inflation”');
    expect(top?.score).toBeGreaterThan(0);
    expect(top?.details).toMatchObject({ kind: 'official_statistics', reliability: 0.95, postDatesClaim: false });
  });

  it('flags sources dated after the claim: they cannot be its origin', async () => {
    const text = 'UK inflation fell to 3.2% in March 2024, the Office for National Statistics said.';
    const before = await createLibraryProvider(db).search(query(text, new Date('2024-04-01T00:00:00Z')), { limit: 1 });
    expect(before[0]?.details.postDatesClaim).toBe(true);
    expect(before[0]?.reason).toMatch(/after the claim/);
    const after = await createLibraryProvider(db).search(query(text, new Date('2024-05-01T00:00:00Z')), { limit: 1 });
    expect(after[0]?.details.postDatesClaim).toBe(false);
  });

  it('filters by kind, reliability and publication date', async () => {
    const text = 'Inflation fell in March 2024.';
    const news = await createLibraryProvider(db, { kinds: ['news'] }).search(query(text));
    expect(news.length).toBeGreaterThan(0);
    expect(news.every((c) => c.details.kind === 'news')).toBe(true);
    const reliable = await createLibraryProvider(db, { minReliability: 0.9 }).search(query(text));
    expect(reliable.length).toBeGreaterThan(0);
    expect(reliable.every((c) => (c.details.reliability as number) >= 0.9)).toBe(true);
    expect(reliable.map((c) => c.url)).not.toContain(FIXTURE_BASE + 'news-inflation-blog');
    const early = await createLibraryProvider(db, { publishedBefore: new Date('2024-04-01T00:00:00Z') }).search(query(text));
    expect(early.map((c) => c.url)).toContain(FIXTURE_BASE + 'boe-expectations');
    expect(early.map((c) => c.url)).not.toContain(FIXTURE_BASE + 'ons-cpi-2024-03');
  });

  it('finds nothing, without an error, for a claim of only stop words or punctuation', async () => {
    await expect(createLibraryProvider(db).search(query('It was what it is, and they said so.'))).resolves.toEqual([]);
    await expect(createLibraryProvider(db).search(query('?!… — ;;; ...'))).resolves.toEqual([]);
  });

  it('truncates a 10 kB claim instead of rejecting it', async () => {
    const long = `North Korea fired more than 90 missiles in 2022. ${'Officials gave more detail at length. '.repeat(300)}`;
    expect(long.length).toBeGreaterThan(10_000);
    const results = await createLibraryProvider(db).search(query(long), { limit: 3 });
    expect(results[0]?.url).toBe(FIXTURE_BASE + 'csis-nk-missiles-2022');
  });

  it('falls back to single-keyword matches when no source shares two keywords with the claim', async () => {
    const results = await createLibraryProvider(db).search(query('Honduras zebra quantum'), { limit: 3 });
    expect(results[0]?.url).toBe(FIXTURE_BASE + 'wpb-honduras');
  });
});

describe('searchLibrary activity', () => {
  async function insertClaim(text: string, publishedAt: Date | null): Promise<string> {
    const article = await db
      .insertInto('articles')
      .values({ title: 't', body: text, content_hash: `${Math.random()}`, published_at: publishedAt })
      .returning('id')
      .executeTakeFirstOrThrow();
    const claim = await db
      .insertInto('claims')
      .values({ article_id: article.id, text, status: 'researching', fingerprint: text.toLowerCase() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return claim.id;
  }

  it('writes library rows with snippet, score, reason and the post-dating flag, once however often it runs', async () => {
    const claimId = await insertClaim('Border agents recorded about 2.5 million encounters at the southwest border in fiscal year 2023.', new Date('2023-10-01T00:00:00Z'));
    const activities = createEvidenceActivities({ db, log: testLogger, settings: TEST_ACTIVITY_SETTINGS });
    const first = await activities.searchLibrary({ claimId });
    expect(first.found).toBeGreaterThan(0);
    const again = await activities.searchLibrary({ claimId });
    expect(again.found).toBe(first.found);
    const rows = await db.selectFrom('claim_evidence').selectAll().where('claim_id', '=', claimId).orderBy('score', 'desc').execute();
    expect(rows).toHaveLength(first.found);
    const top = rows[0];
    expect(top).toMatchObject({ found_by: 'library', stance: 'context', url: FIXTURE_BASE + 'cbp-swb-fy2023' });
    expect(top?.source_id).not.toBeNull();
    expect(top?.quote).toMatch(/encounters/i);
    expect(top?.reason).toMatch(/Matches/);
    // The CBP release (2023-10-20) came out after this article (2023-10-01).
    expect(top?.details).toMatchObject({ postDatesClaim: true });
  });

  it('fails without retrying for a claim that does not exist', async () => {
    const activities = createEvidenceActivities({ db, log: testLogger, settings: TEST_ACTIVITY_SETTINGS });
    await expect(activities.searchLibrary({ claimId: '999999999' })).rejects.toMatchObject({ nonRetryable: true, type: 'ClaimNotFoundError' });
  });
});
