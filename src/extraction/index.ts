import type { ExtractedClaim, ExtractOptions } from './types.ts';
import { validateInput } from './errors.ts';
import { segmentSentences, splitBlocks } from './segment.ts';
import { extractQuantities } from './quantities.ts';
import { checkArithmetic } from './arithmetic.ts';
import { resolveClaimants } from './claimant.ts';
import { describeBlock, scoreSentence } from './features.ts';
import { defaultModel, displayTerm, scoreTerms, sentenceTerms } from './model.ts';
import { parseTranscript, resolveKind, timestampAt } from './transcript.ts';
import { DISQUALIFIERS, MODEL_LOWERED, MODEL_RAISED } from './weights.ts';

export type { ArithmeticCheck, ClaimKind, ExtractedClaim, ExtractOptions, Quantity } from './types.ts';
export { ExtractionInputError, MAX_INPUT_BYTES } from './errors.ts';
export type { ExtractionInputErrorCode } from './errors.ts';
export { checkArithmetic } from './arithmetic.ts';
export { extractQuantities } from './quantities.ts';
export { segmentSentences } from './segment.ts';

export type { ArticleKind, KindOption } from './transcript.ts';
export { ARTICLE_KINDS, looksLikeTranscript, resolveKind } from './transcript.ts';
export { ModelFileError, parseModel } from './model.ts';
export type { CheckworthinessModel } from './model.ts';

export const DEFAULT_THRESHOLD = 0.5;
/**
 * On news the score is mostly the rules' (what the labelled news articles were tuned on) with this share of the
 * model's; on a transcript it is the model's alone, whose inputs include the rule features.
 */
export const NEWS_MODEL_SHARE = 0.3;

/** The model's probability on a scale where its trained threshold sits at 0.5, so one default cut-off fits both genres. */
function rescale(p: number, modelThreshold: number): number {
  return p < modelThreshold ? (0.5 * p) / modelThreshold : 0.5 + (0.5 * (p - modelThreshold)) / (1 - modelThreshold);
}

/**
 * Check-worthy claims in an article or transcript, one per sentence, in text order. Throws ExtractionInputError
 * for input that is not plain text (NUL bytes, unpaired surrogates) or is over MAX_INPUT_BYTES, and ModelFileError
 * when the model file cannot be used.
 */
export function extractClaims(text: string, options: ExtractOptions = {}): ExtractedClaim[] {
  validateInput(text);
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isFinite(threshold)) throw new RangeError('threshold must be a finite number');
  if (text.trim() === '') return [];

  const kind = resolveKind(text, options.kind ?? 'auto');
  const model = options.model === undefined ? defaultModel() : options.model;
  const layout = kind === 'transcript' ? parseTranscript(text) : null;
  // A transcript is read from its masked copy (same length): speaker labels, timestamps and stage directions blanked.
  const source = layout ? layout.masked : text;
  const blocks = layout ? layout.blocks : splitBlocks(text);
  const sentences = segmentSentences(source, blocks);
  const texts = sentences.map((s) => source.slice(s.start, s.end));
  const claimants = layout ? sentences.map((s) => layout.speakers[s.block] ?? null) : resolveClaimants(texts);
  const blockFacts = layout ? [] : blocks.map((b) => describeBlock(text.slice(b.start, b.end)));
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
      block: blockFacts[sentence.block] ?? NO_BLOCK_FACTS,
      firstBlock: sentence.block === 0,
      // A speaker's label names who says it, not a source the sentence reports.
      hasClaimant: !layout && claimant !== null,
      speech: layout !== null,
    });
    let score = scored.score;
    let features = scored.features;
    if (model) {
      const disqualified = features.some((f) => (DISQUALIFIERS as readonly string[]).includes(f));
      const m = scoreTerms(model, sentenceTerms(sentenceText, features));
      const learned = rescale(m.probability, model.threshold);
      if (!disqualified) {
        score = kind === 'transcript' ? learned : (1 - NEWS_MODEL_SHARE) * score + NEWS_MODEL_SHARE * learned;
        score = Math.round(Math.max(0, Math.min(1, score)) * 1000) / 1000;
      }
      features = [...features, ...m.top.map((t) => `${t.weight < 0 ? MODEL_LOWERED : MODEL_RAISED}${displayTerm(t.term)}`)];
    }
    if (score < threshold && !options.includeBelowThreshold) continue;
    // Quantities are read from the claim's own text so their spans match what the reader sees.
    const quantities = located.map(({ text: t, value, unit }) => ({ text: t, value, unit }));
    const claim: ExtractedClaim = {
      text: text.slice(sentence.start, sentence.end),
      start: sentence.start,
      end: sentence.end,
      score,
      kind: scored.kind,
      claimant,
      quantities,
      checks: checkArithmetic(sentenceText, quantities),
      features,
    };
    if (layout) claim.timestamp = timestampAt(layout, sentence.start);
    claims.push(claim);
  }
  return claims;
}

const NO_BLOCK_FACTS = { caption: false, explicitCaption: false };

/** The rule features of one sentence (all of them, whatever its score): the model's rule inputs, for training. */
export function ruleFeatures(sentence: string): string[] {
  const out = new Set<string>();
  for (const c of extractClaims(sentence, { includeBelowThreshold: true, kind: 'news', model: null })) for (const f of c.features) out.add(f);
  return [...out];
}
