// The check-worthiness signals and what each weighs, apart from the patterns that find them: the web app reads
// them too (to say which signals raised a claim's score and which lowered it), and this module imports nothing.

// Weights: a lone figure or a lone verifiable event is enough to reach the default threshold of 0.5
// together with any supporting signal; opinion, prediction and question cues pull below it.
export const WEIGHTS: Record<string, number> = {
  number: 0.3,
  percentage: 0.4,
  money: 0.4,
  proportion: 0.35,
  multiplier: 0.3,
  date: 0.15,
  year: 0.15,
  superlative: 0.4,
  comparison: 0.25,
  change: 0.15,
  reported_speech: 0.25,
  reported_forecast: -0.05,
  attribution: 0.15,
  named_entity: 0.2,
  event: 0.3,
  causal: 0.15,
  quote: 0.05,
  unquantified_quote: -0.2,
  superlative_scope: 0.15,
  opinion: -0.45,
  prediction: -0.35,
  hedged_possibility: -0.15,
  first_person_plan: -0.2,
  short: -0.3,
  vague: -0.15,
};

/** Reasons a sentence can never be a claim whatever else it contains; each caps the score near zero. */
export const DISQUALIFIERS = ['caption', 'site_furniture', 'call_to_action', 'byline', 'dateline', 'headline', 'question'] as const;
export type Disqualifier = (typeof DISQUALIFIERS)[number];

/**
 * The learned model's strongest terms for a sentence are listed among its features with these prefixes:
 * "model+: we've cut" pushed the score up, "model-: i think" pulled it down.
 */
export const MODEL_RAISED = 'model+: ';
export const MODEL_LOWERED = 'model-: ';

/** True for a signal that pulls a score down: a negative weight, a disqualifier or a model term that lowered it. */
export function lowersScore(feature: string): boolean {
  if (feature.startsWith(MODEL_LOWERED)) return true;
  return (WEIGHTS[feature] ?? 0) < 0 || (DISQUALIFIERS as readonly string[]).includes(feature);
}
