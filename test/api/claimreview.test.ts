import { describe, expect, it } from 'vitest';
import { buildClaimReview } from '../../src/publishing/claimreview.ts';
import { contentHash } from '../../src/api/routes/articles.ts';
import { claimFingerprint } from '../../src/domain/fingerprint.ts';
import { RATINGS, RATING_REGISTRY } from '../../src/domain/ratings.ts';
import type { ArticleRow, ClaimRow, VerdictRow } from '../../db/schema.ts';
import type { Rating } from '../../src/domain/ratings.ts';

const claim: ClaimRow = {
  id: '7',
  article_id: '3',
  text: 'Unemployment fell to 3.1% in March.',
  start_offset: 10,
  end_offset: 45,
  claimant: 'Jane Roe',
  kind: 'statistic',
  score: 0.9,
  quantities: [],
  checks: [],
  features: [],
  spoken_at: null,
  status: 'verdict_recorded',
  priority: 'normal',
  workflow_id: 'claim-7',
  fingerprint: 'unemployment fell to 3.1 percent in march',
  submitted_by: null,
  idempotency_key: null,
  created_at: new Date('2026-03-02T10:00:00Z'),
  updated_at: new Date('2026-03-02T10:00:00Z'),
};
const article: ArticleRow = {
  id: '3',
  title: 'Jobs report',
  body: '...',
  url: 'https://news.example.com/jobs',
  publisher: 'Example Gazette',
  published_at: new Date('2026-03-01T08:00:00Z'),
  content_hash: 'x',
  kind: 'news',
  workflow_id: 'article-3',
  submitted_by: null,
  created_at: new Date('2026-03-02T09:00:00Z'),
  status: 'extracted',
  failure_reason: null,
};
const verdict = (rating: Rating, version = 1): VerdictRow => ({
  id: String(10 + version),
  claim_id: '7',
  version,
  rating,
  summary: 'It fell to 3.4%.',
  rationale: null,
  citations: [],
  reviewer: 'ana',
  approver: 'carla',
  recorded_at: new Date(`2026-03-0${2 + version}T12:00:00Z`),
  supersedes: null,
  correction_reason: null,
});
const publisher = { name: 'Desk', url: 'https://desk.example.org/' };

describe('buildClaimReview', () => {
  it('maps every rating through the registry, numbering only those on the true/false line', () => {
    for (const rating of RATINGS) {
      const r = buildClaimReview({ claim, article, verdict: verdict(rating), firstRecordedAt: new Date('2026-03-03T12:00:00Z'), publisher });
      const info = RATING_REGISTRY[rating];
      expect(r.reviewRating).toMatchObject({ '@type': 'Rating', alternateName: info.label, bestRating: 5, worstRating: 1, ratingExplanation: 'It fell to 3.4%.' });
      if (info.ratingValue === null) expect(r.reviewRating).not.toHaveProperty('ratingValue');
      else expect((r.reviewRating as { ratingValue: number }).ratingValue).toBe(info.ratingValue);
    }
  });

  it('names the claimant as the claim author, the article as its appearance, and dates a correction', () => {
    const first = new Date('2026-03-03T12:00:00Z');
    const r = buildClaimReview({ claim, article, verdict: verdict('false', 2), firstRecordedAt: first, publisher });
    expect(r).toMatchObject({
      url: 'https://desk.example.org/claims/7',
      claimReviewed: claim.text,
      author: { '@type': 'Organization', name: 'Desk' },
      datePublished: first.toISOString(),
      dateModified: '2026-03-04T12:00:00.000Z',
      itemReviewed: {
        '@type': 'Claim',
        author: { '@type': 'Person', name: 'Jane Roe' },
        datePublished: '2026-03-01T08:00:00.000Z',
        appearance: [{ '@type': 'CreativeWork', url: 'https://news.example.com/jobs', headline: 'Jobs report' }],
      },
    });
  });

  it('handles a hand-entered claim with no article or claimant', () => {
    const r = buildClaimReview({ claim: { ...claim, article_id: null, claimant: null }, article: null, verdict: verdict('true'), firstRecordedAt: new Date('2026-03-03T12:00:00Z'), publisher });
    expect(r.itemReviewed).toEqual({ '@type': 'Claim', datePublished: claim.created_at.toISOString() });
    expect(r).not.toHaveProperty('dateModified');
  });
});

describe('content hash and fingerprint', () => {
  it('treats whitespace and Unicode normalisation as the same article', () => {
    expect(contentHash('Title', 'A  body\n\nwith café')).toBe(contentHash(' Title ', 'A body with cafe\u0301'));
    expect(contentHash('Title', 'A body')).not.toBe(contentHash('Title', 'A body.'));
  });

  it('lower-cases and strips punctuation for matching, keeping decimals', () => {
    expect(claimFingerprint('Unemployment FELL to 3.1% — in March!')).toBe('unemployment fell to 3.1 percent in march');
  });
});
