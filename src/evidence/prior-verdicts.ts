import type { DbOrTrx } from '../../db/index.ts';
import { ratedClaimsLike, textLikeness } from '../../db/repositories/verdicts.ts';
import { RATING_REGISTRY, isRating } from '../domain/ratings.ts';
import { extractQuantities } from '../extraction/index.ts';
import type { EvidenceCandidate, EvidenceProvider, EvidenceQuery } from './types.ts';
import { queryTerms, truncateForSearch } from './text.ts';

export const PRIOR_VERDICTS_PROVIDER = 'prior_verdicts';

export interface MatchThresholds {
  /** At or above: shown to the reviewer as an earlier verdict on a similar claim. */
  suggest: number;
  /** At or above (and no meaning conflict): marked a probable duplicate. Still never rated automatically. */
  confirm: number;
}

export const DEFAULT_MATCH_THRESHOLDS: MatchThresholds = { suggest: 0.35, confirm: 0.6 };

/** A conflict caps the score this far below `confirm`, so "rose" never duplicates "fell" however alike the words are. */
const CONFLICT_PENALTY = 0.6;
/** Matching claims examined per lookup: bounds the cost when a claim's words are everywhere. */
const MAX_SCANNED = 2000;

export type ConflictKind = 'direction' | 'negation' | 'entity' | 'year' | 'figure';
export interface MeaningConflict {
  kind: ConflictKind;
  detail: string;
}

const UP = ['rose', 'rise', 'rises', 'risen', 'rising', 'increase', 'increased', 'increases', 'increasing', 'grew', 'grow', 'grows', 'grown', 'growing', 'higher', 'doubled', 'tripled', 'jumped', 'surged', 'soared', 'climbed', 'gained', 'up', 'more', 'record high', 'highest', 'spiked', 'expanded'];
const DOWN = ['fell', 'fall', 'falls', 'fallen', 'falling', 'decrease', 'decreased', 'decreases', 'decreasing', 'declined', 'decline', 'declines', 'declining', 'dropped', 'drop', 'drops', 'lower', 'halved', 'shrank', 'shrunk', 'plunged', 'plummeted', 'slumped', 'reduced', 'down', 'fewer', 'less', 'record low', 'lowest', 'collapsed', 'collapse', 'cut'];

function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[’]/g, "'")
    // Comparatives that bound a figure ("more than 2 million") say nothing about direction.
    .replace(/\b(more|less|fewer|up|down)\s+(than|to)\b/g, ' ')
    .split(/[^\p{L}\p{N}']+/u)
    .filter(Boolean);
}

function phraseCount(tokens: string[], phrases: string[]): number {
  const joined = ` ${tokens.join(' ')} `;
  let n = 0;
  for (const p of phrases) if (joined.includes(` ${p} `)) n++;
  return n;
}

function direction(text: string): -1 | 0 | 1 {
  const t = words(text);
  const up = phraseCount(t, UP);
  const down = phraseCount(t, DOWN);
  if (up > 0 && down === 0) return 1;
  if (down > 0 && up === 0) return -1;
  return 0;
}

function negated(text: string): boolean {
  const t = words(text);
  const n = t.filter((w) => w === 'not' || w === 'never' || w.endsWith("n't") || w === 'cannot').length + phraseCount(t, ['no longer']);
  return n % 2 === 1;
}

const ALIASES: Array<[RegExp, string]> = [
  [/\b(the )?(united states( of america)?|u\.s\.a?\.?|usa)(?=\W|$)/g, 'us'],
  [/\b(the )?(united kingdom|u\.k\.|great britain|britain)(?=\W|$)/g, 'uk'],
  [/\b(the )?(european union|e\.u\.)(?=\W|$)/g, 'eu'],
];

function normalizeForEntities(text: string): string {
  let t = ` ${text.toLowerCase().replace(/[’]/g, "'")} `;
  for (const [re, to] of ALIASES) t = t.replace(re, to);
  return t.replace(/'s\b/g, '').replace(/[^\p{L}\p{N}]+/gu, ' ');
}

function entityPhrases(text: string): string[] {
  // Sentence-initial words count too ("Sylvania built…"): a capitalised common word ("Crime rose…") is still
  // matched by its lower-case use in the other claim, so it only conflicts when both claims name something
  // the other does not.
  return queryTerms(text)
    .entities.map((e) => normalizeForEntities(e).trim())
    .filter((e) => e.length > 1);
}

function unmatchedEntities(a: string, b: string): string[] {
  const other = ` ${normalizeForEntities(b).trim()} `;
  return [...new Set(entityPhrases(a))].filter((e) => !other.includes(` ${e} `));
}

/** Text for similarity scoring: names and percent spellings made uniform, so rewording is not penalised. */
export function comparableText(text: string): string {
  return normalizeForEntities(text.replace(/(\d)\s*%/g, '$1 percent').replace(/\bper\s?cent\b/gi, 'percent')).replace(/\s+/g, ' ').trim();
}

function years(text: string): Set<number> {
  return new Set([...text.matchAll(/\b(19\d\d|20\d\d)\b/g)].map((m) => Number(m[1])));
}

function figures(text: string): number[] {
  return extractQuantities(text)
    .filter((q) => q.unit !== 'year' && q.unit !== 'date' && !(q.value >= 1900 && q.value <= 2099 && Number.isInteger(q.value) && q.unit === null && /^\d{4}$/.test(q.text)))
    .map((q) => q.value);
}

function near(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= Math.max(Math.abs(a), Math.abs(b)) * 0.005;
}

/** Cheap signals that two similar-looking claims say different things. */
export function meaningConflicts(a: string, b: string): MeaningConflict[] {
  const conflicts: MeaningConflict[] = [];
  const da = direction(a);
  const db = direction(b);
  if (da !== 0 && db !== 0 && da !== db) conflicts.push({ kind: 'direction', detail: 'one says up, the other down' });
  if (negated(a) !== negated(b)) conflicts.push({ kind: 'negation', detail: 'one is negated' });
  const ua = unmatchedEntities(a, b);
  const ub = unmatchedEntities(b, a);
  if (ua.length > 0 && ub.length > 0) conflicts.push({ kind: 'entity', detail: `${ua.join(', ')} vs ${ub.join(', ')}` });
  const ya = years(a);
  const yb = years(b);
  if (ya.size > 0 && yb.size > 0 && ([...ya].some((y) => !yb.has(y)) || [...yb].some((y) => !ya.has(y)))) {
    conflicts.push({ kind: 'year', detail: `${[...ya].join(', ')} vs ${[...yb].join(', ')}` });
  }
  const fa = figures(a);
  const fb = figures(b);
  if (fa.length > 0 && fb.length > 0 && (fa.some((x) => !fb.some((y) => near(x, y))) || fb.some((y) => !fa.some((x) => near(x, y))))) {
    conflicts.push({ kind: 'figure', detail: `${fa.join(', ')} vs ${fb.join(', ')}` });
  }
  return conflicts;
}

function dice(a: string[], b: string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size === 0 || sb.size === 0) return 0;
  let shared = 0;
  for (const x of sa) if (sb.has(x)) shared++;
  return (2 * shared) / (sa.size + sb.size);
}

export interface PriorMatch {
  claimId: string;
  text: string;
  verdictId: string;
  version: number;
  rating: string;
  summary: string;
  recordedAt: Date;
  similarity: number;
  /** Similarity of the words alone, before meaning conflicts are weighed. */
  textSimilarity: number;
  conflicts: MeaningConflict[];
  probableDuplicate: boolean;
}

/**
 * Claims that already have a verdict and say much the same as `text`: trigram similarity and shared
 * stemmed words, discounted when cheap meaning signals (direction, negation, names, years, figures) disagree.
 */
export async function findPriorVerdicts(
  db: DbOrTrx,
  text: string,
  opts: { excludeClaimId?: string; thresholds?: MatchThresholds; limit?: number } = {},
): Promise<PriorMatch[]> {
  const thresholds = opts.thresholds ?? DEFAULT_MATCH_THRESHOLDS;
  const probe = truncateForSearch(text);
  const { keywords } = queryTerms(probe);
  if (keywords.length === 0) return [];
  const rows = await ratedClaimsLike(db, { keywords, probe, excludeClaimId: opts.excludeClaimId ?? null, maxScanned: MAX_SCANNED });
  if (rows.length === 0) return [];
  // Score on normalised text ("United Kingdom" = "UK", "5%" = "5 per cent"): trigram similarity and shared stems.
  const probeNorm = comparableText(probe);
  const scored = await textLikeness(db, probeNorm, rows.map((r) => comparableText(r.text)));
  const ownLexemes = scored[0]?.lex ?? [];

  const matches: PriorMatch[] = rows.map((r, i) => {
    const sc = scored[i + 1];
    const textSimilarity = sc ? 0.5 * sc.trgm + 0.5 * dice(ownLexemes, sc.lex) : 0;
    const conflicts = meaningConflicts(probe, r.text);
    const similarity = conflicts.length > 0 ? Math.min(textSimilarity * CONFLICT_PENALTY, thresholds.confirm - 0.01) : textSimilarity;
    return {
      claimId: r.claim_id,
      text: r.text,
      verdictId: r.verdict_id,
      version: r.version,
      rating: r.rating,
      summary: r.summary,
      recordedAt: r.recorded_at,
      similarity: Math.round(similarity * 10_000) / 10_000,
      textSimilarity: Math.round(textSimilarity * 10_000) / 10_000,
      conflicts,
      probableDuplicate: conflicts.length === 0 && similarity >= thresholds.confirm,
    };
  });
  return matches
    .filter((m) => m.similarity >= thresholds.suggest)
    .sort((a, b) => b.similarity - a.similarity || Number(b.claimId) - Number(a.claimId))
    .slice(0, opts.limit ?? 10);
}

export function priorMatchToCandidate(m: PriorMatch): EvidenceCandidate {
  const label = isRating(m.rating) ? RATING_REGISTRY[m.rating].label : m.rating;
  const parts = [`Earlier verdict “${label}” (v${m.version}) on claim ${m.claimId}, similarity ${m.similarity.toFixed(2)}`];
  if (m.probableDuplicate) parts.push('probable duplicate');
  if (m.conflicts.length > 0) parts.push(`differs in ${m.conflicts.map((c) => `${c.kind} (${c.detail})`).join('; ')}`);
  return {
    provider: PRIOR_VERDICTS_PROVIDER,
    sourceId: null,
    url: null,
    title: `Earlier verdict: ${label} — ${m.summary}`.slice(0, 500),
    quote: m.text,
    stance: 'context',
    score: m.similarity,
    reason: parts.join('; '),
    identity: `claim:${m.claimId}:verdict:${m.verdictId}`,
    details: {
      matchedClaimId: m.claimId,
      verdictId: m.verdictId,
      verdictVersion: m.version,
      rating: m.rating,
      similarity: m.similarity,
      textSimilarity: m.textSimilarity,
      probableDuplicate: m.probableDuplicate,
      conflicts: m.conflicts,
    },
  };
}

export function createPriorVerdictsProvider(db: DbOrTrx, opts: { excludeClaimId?: string; thresholds?: MatchThresholds } = {}): EvidenceProvider {
  return {
    name: PRIOR_VERDICTS_PROVIDER,
    async search(query: EvidenceQuery, searchOpts = {}) {
      const matches = await findPriorVerdicts(db, query.text, { ...opts, limit: searchOpts.limit ?? 10 });
      return matches.map(priorMatchToCandidate);
    },
  };
}
