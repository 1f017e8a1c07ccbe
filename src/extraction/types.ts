import type { KindOption } from './transcript.ts';
import type { CheckworthinessModel } from './model.ts';

export interface Quantity {
  text: string;
  /**
   * Numeric value in base units: 412 million is 412000000, 36 per cent is 36,
   * "half" is 0.5, "doubled" is 2. Dates are encoded as yyyymmdd with unknown
   * parts left as zero (Jan. 5 → 105, August 2024 → 20240800) so they stay numbers.
   */
  value: number;
  /** 'percent', 'percentage_points', ISO currency code, 'year', 'date', 'fraction', 'multiplier', a counted noun such as 'people', or null. */
  unit: string | null;
}

export interface ArithmeticCheck {
  type: 'arithmetic';
  status: 'consistent' | 'inconsistent' | 'unknown';
  detail: string;
}

export type ClaimKind = 'statistic' | 'comparison' | 'event' | 'quote' | 'causal' | 'other';

export interface ExtractedClaim {
  text: string;
  start: number;
  end: number;
  score: number;
  kind: ClaimKind;
  claimant: string | null;
  quantities: Quantity[];
  checks: ArithmeticCheck[];
  /** Why it scored as it did: rule features, then the model's strongest terms ("model+: …" raised it, "model-: …" lowered it). */
  features: string[];
  /** Transcripts only: the last bracketed timestamp ("00:12:34") before the sentence, or null when there is none. */
  timestamp?: string | null;
}

export interface ExtractOptions {
  /** 'news' (an article), 'transcript' (SPEAKER: turns) or 'auto' (the default: a transcript when it reads as one). */
  kind?: KindOption;
  /** The learned model; null scores by the rules alone; default the committed model. */
  model?: CheckworthinessModel | null;
  /** Minimum check-worthiness score for a sentence to count as a claim; default 0.5. */
  threshold?: number;
  /** Also return sentences under the threshold, for storage with status 'extracted'. */
  includeBelowThreshold?: boolean;
}
