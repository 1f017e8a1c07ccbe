import type { ExtractedClaim, ExtractOptions } from './types.ts';
import { validateInput } from './errors.ts';
import { segmentSentences, splitBlocks } from './segment.ts';
import { extractQuantities } from './quantities.ts';
import { checkArithmetic } from './arithmetic.ts';
import { resolveClaimants } from './claimant.ts';
import { describeBlock, scoreSentence } from './features.ts';

export type { ArithmeticCheck, ClaimKind, ExtractedClaim, ExtractOptions, Quantity } from './types.ts';
export { ExtractionInputError, MAX_INPUT_BYTES } from './errors.ts';
export type { ExtractionInputErrorCode } from './errors.ts';
export { checkArithmetic } from './arithmetic.ts';
export { extractQuantities } from './quantities.ts';
export { segmentSentences } from './segment.ts';

export const DEFAULT_THRESHOLD = 0.5;

/**
 * Check-worthy claims in an article, one per sentence, in text order. Throws ExtractionInputError
 * for input that is not plain text (NUL bytes, unpaired surrogates) or is over MAX_INPUT_BYTES.
 */
export function extractClaims(text: string, options: ExtractOptions = {}): ExtractedClaim[] {
  validateInput(text);
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isFinite(threshold)) throw new RangeError('threshold must be a finite number');
  if (text.trim() === '') return [];

  const sentences = segmentSentences(text);
  const blocks = splitBlocks(text);
  const texts = sentences.map((s) => text.slice(s.start, s.end));
  const claimants = resolveClaimants(texts);
  const blockFacts = blocks.map((b) => describeBlock(text.slice(b.start, b.end)));
  const claims: ExtractedClaim[] = [];
  for (let i = 0; i < sentences.length; i++) {
    const sentence = sentences[i];
    const sentenceText = texts[i];
    if (!sentence || sentenceText === undefined) continue;
    const located = extractQuantities(sentenceText);
    const claimant = claimants[i] ?? null;
    const scored = scoreSentence({
      text: sentenceText,
      sentence,
      quantities: located,
      block: blockFacts[sentence.block] ?? describeBlock(sentenceText),
      firstBlock: sentence.block === 0,
      hasClaimant: claimant !== null,
    });
    if (scored.score < threshold && !options.includeBelowThreshold) continue;
    const quantities = located.map(({ text: t, value, unit }) => ({ text: t, value, unit }));
    claims.push({
      text: sentenceText,
      start: sentence.start,
      end: sentence.end,
      score: scored.score,
      kind: scored.kind,
      claimant,
      quantities,
      checks: checkArithmetic(sentenceText, quantities),
      features: scored.features,
    });
  }
  return claims;
}
