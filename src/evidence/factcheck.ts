import { z } from 'zod';
import { RATINGS, type Rating } from '../domain/ratings.ts';
import type { EvidenceCandidate, EvidenceProvider, EvidenceQuery } from './types.ts';
import { queryTerms, truncateForSearch } from './text.ts';

export interface FactCheckSettings {
  apiKey: string | null;
  url: string;
  timeoutMs: number;
}

export interface FactCheckOptions {
  languageCode?: string;
  maxAgeDays?: number;
  pageSize?: number;
  /** Pages followed through nextPageToken before stopping. */
  maxPages?: number;
  fetch?: typeof fetch;
}

export type FactCheckErrorCode = 'auth' | 'bad_request' | 'unavailable' | 'rate_limited' | 'timeout' | 'bad_response';

/** A failed lookup. `retryable` says whether trying again later can help (rate limits, outages, timeouts). */
export class FactCheckError extends Error {
  constructor(
    readonly code: FactCheckErrorCode,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = code === 'auth' ? 'FactCheckAuthError' : 'FactCheckError';
  }
  get retryable(): boolean {
    return this.code === 'unavailable' || this.code === 'rate_limited' || this.code === 'timeout' || this.code === 'bad_response';
  }
}

const reviewSchema = z.object({
  publisher: z.object({ name: z.string().optional(), site: z.string().optional() }).partial().optional(),
  url: z.string().optional(),
  title: z.string().optional(),
  reviewDate: z.string().optional(),
  textualRating: z.string().optional(),
  languageCode: z.string().optional(),
});
const responseSchema = z.object({
  claims: z
    .array(
      z.object({
        text: z.string().optional(),
        claimant: z.string().optional(),
        claimDate: z.string().optional(),
        claimReview: z.array(reviewSchema).optional(),
      }),
    )
    .optional(),
  nextPageToken: z.string().optional(),
});
type FactCheckResponse = z.infer<typeof responseSchema>;

// Fact-checkers' verdict words, normalised (lower case, punctuation to spaces), onto our scale.
// Anything not listed keeps its original text and maps to null rather than being guessed.
const RATING_WORDS: Array<[Rating, string[]]> = [
  ['mostly_true', ['mostly true', 'mostly correct', 'largely true', 'mostly accurate', 'somewhat true']],
  ['half_true', ['half true', 'half truth', 'partly true', 'partially true', 'partly false', 'partially false', 'mixture', 'mixed', 'half correct', 'medio verdadero', 'engañoso parcialmente']],
  ['mostly_false', ['mostly false', 'largely false', 'mostly inaccurate', 'mostly incorrect']],
  ['misleading', ['misleading', 'missing context', 'lacks context', 'out of context', 'needs context', 'distorted', 'distorts the facts', 'cherry picked', 'exaggerated', 'exaggeration', 'spin', 'engañoso', 'trompeur', 'irreführend', 'enganoso']],
  ['unverifiable', ['unverifiable', 'unverified', 'unproven', 'unsupported', 'no evidence', 'not enough evidence', 'insufficient evidence', 'research in progress', 'inconclusive', 'no verificable', 'sin evidencia', 'invérifiable']],
  ['false', ['false', 'pants on fire', 'pants on fire!', 'incorrect', 'wrong', 'fake', 'fabricated', 'hoax', 'baseless', 'four pinocchios', 'inaccurate', 'not true', 'untrue', 'falso', 'faux', 'falsch', 'fake news', 'scam']],
  ['true', ['true', 'correct', 'accurate', 'verdadero', 'cierto', 'vrai', 'richtig', 'verdadeiro', 'geppetto checkmark']],
];
const RATING_LOOKUP = new Map<string, Rating>(RATING_WORDS.flatMap(([rating, words]) => words.map((w) => [w, rating] as [string, Rating])));

function normalizeRating(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}!]+/gu, ' ')
    .replace(/!/g, '')
    .trim();
}

/** Maps a fact-checker's textualRating onto our registry, or null when it has no clear equivalent. */
export function mapTextualRating(textual: string | null | undefined): Rating | null {
  if (!textual) return null;
  const norm = normalizeRating(textual);
  if ((RATINGS as readonly string[]).includes(norm.replace(/ /g, '_'))) return norm.replace(/ /g, '_') as Rating;
  const exact = RATING_LOOKUP.get(norm);
  if (exact) return exact;
  // Ratings often come as a sentence ("False. There is no evidence that…"): judge by the leading words.
  const longest = [...RATING_LOOKUP.keys()].filter((k) => norm.startsWith(`${k} `)).sort((a, b) => b.length - a.length)[0];
  return longest ? (RATING_LOOKUP.get(longest) ?? null) : null;
}

function describeStatus(status: number): string {
  return status === 429 ? 'rate limited (429)' : `HTTP ${status}`;
}

async function fetchPage(settings: FactCheckSettings, params: URLSearchParams, fetchImpl: typeof fetch, cancel: AbortSignal | undefined): Promise<FactCheckResponse> {
  const url = new URL(settings.url);
  for (const [k, v] of params) url.searchParams.set(k, v);
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: cancel ? AbortSignal.any([timeout, cancel]) : timeout, headers: { accept: 'application/json' } });
  } catch (err) {
    // Aborted by the caller (the activity was cancelled): their reason, not a timeout worth retrying.
    if (cancel?.aborted) throw cancel.reason;
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new FactCheckError('timeout', `fact-check search timed out after ${settings.timeoutMs} ms`);
    // Never put the URL in the message: it carries the API key.
    throw new FactCheckError('unavailable', `fact-check search could not connect: ${(err as Error).message}`);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    if (cancel?.aborted) throw cancel.reason;
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new FactCheckError('timeout', `fact-check search timed out after ${settings.timeoutMs} ms`);
    throw new FactCheckError('unavailable', `fact-check search response was cut off: ${(err as Error).message}`);
  }
  if (!res.ok) {
    let detail = '';
    let reason = '';
    try {
      const body = JSON.parse(text) as { error?: { message?: string; status?: string; details?: Array<{ reason?: string }> } };
      detail = body.error?.message ?? '';
      reason = body.error?.details?.map((d) => d.reason ?? '').join(' ') ?? '';
      if (body.error?.status) reason += ` ${body.error.status}`;
    } catch {
      detail = text.slice(0, 200);
    }
    const suffix = detail ? `: ${detail}` : '';
    if (res.status === 401 || res.status === 403 || (res.status === 400 && /API_KEY|api key/i.test(`${reason} ${detail}`))) {
      throw new FactCheckError('auth', `fact-check API key rejected (${describeStatus(res.status)})${suffix}`, res.status);
    }
    if (res.status === 429) throw new FactCheckError('rate_limited', `fact-check search ${describeStatus(res.status)}${suffix}`, res.status);
    if (res.status >= 500 || res.status === 408) throw new FactCheckError('unavailable', `fact-check search failed with ${describeStatus(res.status)}${suffix}`, res.status);
    throw new FactCheckError('bad_request', `fact-check search rejected the request (${describeStatus(res.status)})${suffix}`, res.status);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FactCheckError('bad_response', 'fact-check search returned something that is not JSON', res.status);
  }
  const parsed = responseSchema.safeParse(json);
  if (!parsed.success) throw new FactCheckError('bad_response', 'fact-check search returned an unexpected shape', res.status);
  return parsed.data;
}

/** The words sent as the search: the claim's most telling keywords, in the order they appear. */
export function factCheckQueryText(text: string): string {
  const truncated = truncateForSearch(text, 500);
  const { keywords } = queryTerms(truncated);
  const picked = new Set(keywords.slice(0, 8));
  const lower = truncated.toLowerCase();
  return [...picked].sort((a, b) => lower.indexOf(a) - lower.indexOf(b)).join(' ');
}

function overlap(a: string, b: string): number {
  const ka = new Set(queryTerms(a).keywords);
  const kb = new Set(queryTerms(b).keywords);
  if (ka.size === 0 || kb.size === 0) return 0;
  let shared = 0;
  for (const k of ka) if (kb.has(k)) shared++;
  return (2 * shared) / (ka.size + kb.size);
}

/** Google Fact Check Tools `claims:search`: what other fact-checkers said about similar claims. */
export function createFactCheckProvider(settings: FactCheckSettings, opts: FactCheckOptions = {}): EvidenceProvider {
  const fetchImpl = opts.fetch ?? fetch;
  return {
    name: 'factcheck',
    async search(query: EvidenceQuery, searchOpts = {}): Promise<EvidenceCandidate[]> {
      if (!settings.apiKey) return [];
      const q = factCheckQueryText(query.text);
      if (q === '') return [];
      const limit = searchOpts.limit ?? 20;
      const maxPages = opts.maxPages ?? 3;
      const candidates: EvidenceCandidate[] = [];
      let pageToken: string | undefined;
      for (let page = 0; page < maxPages && candidates.length < limit; page++) {
        const params = new URLSearchParams({ query: q, languageCode: opts.languageCode ?? 'en', pageSize: String(opts.pageSize ?? 10), key: settings.apiKey });
        if (opts.maxAgeDays !== undefined) params.set('maxAgeDays', String(opts.maxAgeDays));
        if (pageToken) params.set('pageToken', pageToken);
        if (searchOpts.signal?.aborted) throw searchOpts.signal.reason;
        const body = await fetchPage(settings, params, fetchImpl, searchOpts.signal);
        for (const claim of body.claims ?? []) {
          const similarity = claim.text ? overlap(query.text, claim.text) : 0;
          for (const review of claim.claimReview ?? []) {
            if (!review.url) continue;
            const publisher = review.publisher?.name ?? review.publisher?.site ?? 'unknown';
            const mappedRating = mapTextualRating(review.textualRating);
            const reviewDate = review.reviewDate ?? null;
            const ratingText = review.textualRating ? `rated “${review.textualRating}” by ${publisher}` : `reviewed by ${publisher}`;
            candidates.push({
              provider: `factcheck:${publisher}`,
              sourceId: null,
              url: review.url,
              title: review.title ?? null,
              quote: claim.text ?? null,
              stance: 'context',
              score: Math.round(similarity * 10_000) / 10_000,
              reason: `Fact check of a similar claim, ${ratingText}${reviewDate ? ` on ${reviewDate.slice(0, 10)}` : ''}; ${Math.round(similarity * 100)}% keyword overlap`,
              details: {
                publisher: review.publisher ?? null,
                textualRating: review.textualRating ?? null,
                mappedRating,
                reviewDate,
                languageCode: review.languageCode ?? null,
                claimant: claim.claimant ?? null,
                claimDate: claim.claimDate ?? null,
                reviewedClaim: claim.text ?? null,
                similarity,
                query: q,
              },
            });
          }
        }
        pageToken = body.nextPageToken || undefined;
        if (!pageToken) break;
      }
      candidates.sort((a, b) => b.score - a.score);
      return candidates.slice(0, limit);
    },
  };
}
