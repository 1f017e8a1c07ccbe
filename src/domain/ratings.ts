// The rating registry: our scale and how each rating maps onto schema.org ClaimReview's numeric rating.
// ratingValue runs from worstRating (1, false) to bestRating (5, true); ratings off that line get no number.

export const RATINGS = ['true', 'mostly_true', 'half_true', 'mostly_false', 'false', 'misleading', 'unverifiable'] as const;
export type Rating = (typeof RATINGS)[number];

export interface RatingInfo {
  rating: Rating;
  label: string;
  /** null for ratings that do not sit on the true/false line. */
  ratingValue: number | null;
}

export const BEST_RATING = 5;
export const WORST_RATING = 1;

export const RATING_REGISTRY: Record<Rating, RatingInfo> = {
  true: { rating: 'true', label: 'True', ratingValue: 5 },
  mostly_true: { rating: 'mostly_true', label: 'Mostly true', ratingValue: 4 },
  half_true: { rating: 'half_true', label: 'Half true', ratingValue: 3 },
  mostly_false: { rating: 'mostly_false', label: 'Mostly false', ratingValue: 2 },
  false: { rating: 'false', label: 'False', ratingValue: 1 },
  misleading: { rating: 'misleading', label: 'Misleading', ratingValue: null },
  unverifiable: { rating: 'unverifiable', label: 'Unverifiable', ratingValue: null },
};

export function isRating(value: unknown): value is Rating {
  return typeof value === 'string' && (RATINGS as readonly string[]).includes(value);
}
