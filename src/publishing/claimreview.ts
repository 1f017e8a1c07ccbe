import type { DbOrTrx } from '../../db/index.ts';
import { findArticle } from '../../db/repositories/articles.ts';
import { findClaim } from '../../db/repositories/claims.ts';
import { verdictsOfClaim } from '../../db/repositories/verdicts.ts';
import type { ArticleRow, ClaimRow, VerdictRow } from '../../db/schema.ts';
import { BEST_RATING, RATING_REGISTRY, WORST_RATING, isRating } from '../domain/ratings.ts';

export interface Publisher {
  name: string;
  url: string;
}

export type ClaimReviewJsonLd = Record<string, unknown> & { '@context': 'https://schema.org'; '@type': 'ClaimReview' };

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function claimPageUrl(publisher: Publisher, claimId: string): string {
  return `${trimSlash(publisher.url)}/claims/${claimId}`;
}

/**
 * schema.org ClaimReview for a claim's latest verdict, with Google's required fields (claimReviewed,
 * reviewRating.alternateName, url, author) and recommended ones (itemReviewed with author, datePublished
 * and appearance; datePublished). `firstRecordedAt` dates the review; a correction adds dateModified.
 */
export function buildClaimReview(input: { claim: ClaimRow; article: ArticleRow | null; verdict: VerdictRow; firstRecordedAt: Date; publisher: Publisher }): ClaimReviewJsonLd {
  const { claim, article, verdict, publisher } = input;
  const info = isRating(verdict.rating) ? RATING_REGISTRY[verdict.rating] : null;
  const reviewRating: Record<string, unknown> = {
    '@type': 'Rating',
    alternateName: info?.label ?? verdict.rating,
    bestRating: BEST_RATING,
    worstRating: WORST_RATING,
    ratingExplanation: verdict.summary,
  };
  // Ratings off the true/false line (misleading, unverifiable) carry no number, only their name.
  if (info?.ratingValue != null) reviewRating.ratingValue = info.ratingValue;

  const claimDate = article?.published_at ?? article?.created_at ?? claim.created_at;
  const itemReviewed: Record<string, unknown> = { '@type': 'Claim', datePublished: claimDate.toISOString() };
  if (claim.claimant) itemReviewed.author = { '@type': 'Person', name: claim.claimant };
  else if (article?.publisher) itemReviewed.author = { '@type': 'Organization', name: article.publisher };
  if (article) {
    const appearance: Record<string, unknown> = { '@type': 'CreativeWork', headline: article.title, datePublished: claimDate.toISOString() };
    if (article.url) appearance.url = article.url;
    if (article.publisher) appearance.publisher = { '@type': 'Organization', name: article.publisher };
    itemReviewed.appearance = [appearance];
    if (article.url) itemReviewed.firstAppearance = appearance;
  }

  const review: ClaimReviewJsonLd = {
    '@context': 'https://schema.org',
    '@type': 'ClaimReview',
    url: claimPageUrl(publisher, claim.id),
    claimReviewed: claim.text,
    reviewRating,
    itemReviewed,
    author: { '@type': 'Organization', name: publisher.name, url: publisher.url },
    datePublished: input.firstRecordedAt.toISOString(),
    reviewBody: verdict.rationale ?? verdict.summary,
    version: verdict.version,
  };
  if (verdict.version > 1) review.dateModified = verdict.recorded_at.toISOString();
  return review;
}

export interface PublishedVerdict {
  claim: ClaimRow;
  article: ArticleRow | null;
  /** Every recorded version, oldest first; never empty. */
  verdicts: [VerdictRow, ...VerdictRow[]];
  latest: VerdictRow;
}

/** A claim with its recorded verdicts and article; null when it has no recorded verdict. */
export async function loadPublishedVerdict(db: DbOrTrx, claimId: string): Promise<PublishedVerdict | null> {
  const claim = await findClaim(db, claimId);
  if (!claim) return null;
  const verdicts = await verdictsOfClaim(db, claimId);
  const first = verdicts[0];
  const latest = verdicts[verdicts.length - 1];
  if (!first || !latest) return null;
  const article = claim.article_id ? ((await findArticle(db, claim.article_id)) ?? null) : null;
  return { claim, article, verdicts: [first, ...verdicts.slice(1)], latest };
}

/** The ClaimReview of a loaded verdict: the API, the public page and webhooks all publish this one document. */
export function claimReviewOf(found: PublishedVerdict, publisher: Publisher): ClaimReviewJsonLd {
  return buildClaimReview({ claim: found.claim, article: found.article, verdict: found.latest, firstRecordedAt: found.verdicts[0].recorded_at, publisher });
}

/** Loads what a ClaimReview needs; null when the claim has no recorded verdict. */
export async function loadClaimReview(db: DbOrTrx, claimId: string, publisher: Publisher): Promise<{ claimReview: ClaimReviewJsonLd; verdict: VerdictRow } | null> {
  const found = await loadPublishedVerdict(db, claimId);
  return found ? { claimReview: claimReviewOf(found, publisher), verdict: found.latest } : null;
}
