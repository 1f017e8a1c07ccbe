import { createHash } from 'node:crypto';

/** Longer queries are cut here (at a word boundary): a 10 kB claim is truncated for search, not rejected. */
export const MAX_QUERY_CHARS = 1000;
/** How many keywords a claim contributes to a library lookup; more only widens the candidate set. */
export const MAX_KEYWORDS = 10;

// Postgres' english configuration drops these anyway; dropping them here keeps the generated query short
// and lets us tell "nothing searchable" apart before going to the database.
const STOP_WORDS = new Set(
  `a about above after again against all am an and any are aren't as at be because been before being below between both but by
  can cannot could couldn't did didn't do does doesn't doing don't down during each few for from further had hadn't has hasn't have
  haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it
  it's its itself let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own
  same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then there
  there's these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're
  we've were weren't what what's when when's where where's which while who who's whom why why's with won't would wouldn't you you'd
  you'll you're you've your yours yourself yourselves also said says say according since just now will its per cent percent than
  then one two new last first`
    .split(/\s+/)
    .filter(Boolean),
);

/** Cuts text to at most `max` characters without splitting a word. */
export function truncateForSearch(text: string, max = MAX_QUERY_CHARS): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return space > max * 0.8 ? cut.slice(0, space) : cut;
}

export interface QueryTerms {
  /** Lower-case words and numbers worth searching for, most telling first. */
  keywords: string[];
  /** Capitalised phrases ("El Salvador", "North Korea"). */
  entities: string[];
  /** Four-digit years mentioned (1900..2099). */
  years: number[];
}

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’.,-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu;

function cleanWord(raw: string): string {
  // "2,400,000" → "2400000" so figures match however they were written; trailing possessives go.
  let w = raw.replace(/[’]/g, "'").replace(/'s$/i, '');
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(w)) w = w.replace(/,/g, '');
  return w.toLowerCase();
}

/** Picks the words of a claim that a search should use: entities and figures first, then long content words. */
export function queryTerms(text: string): QueryTerms {
  const source = truncateForSearch(text);
  const tokens = [...source.matchAll(WORD)].map((m) => ({ raw: m[0], index: m.index }));
  const entities: string[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length > 0) entities.push(current.join(' '));
    current = [];
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t) continue;
    const capitalised = /^\p{Lu}/u.test(t.raw);
    const prev = tokens[i - 1];
    const gap = prev ? source.slice(prev.index + prev.raw.length, t.index) : '';
    if (capitalised && !STOP_WORDS.has(t.raw.toLowerCase()) && (current.length === 0 || /^\s+$/.test(gap))) current.push(t.raw.replace(/'s$|’s$/i, ''));
    else {
      flush();
      if (capitalised && !STOP_WORDS.has(t.raw.toLowerCase())) current.push(t.raw);
    }
  }
  flush();

  const years = [...new Set([...source.matchAll(/\b(19\d\d|20\d\d)\b/g)].map((m) => Number(m[1])))];
  const seen = new Set<string>();
  const scored: Array<{ word: string; weight: number; order: number }> = [];
  tokens.forEach((t, order) => {
    const word = cleanWord(t.raw);
    if (word.length < 2 && !/^\d$/.test(word)) return;
    if (STOP_WORDS.has(word) || seen.has(word)) return;
    seen.add(word);
    const isNumber = /^\d/.test(word);
    const isEntity = /^\p{Lu}/u.test(t.raw) && order > 0;
    const weight = (isEntity ? 3 : 0) + (isNumber ? 2 : 0) + Math.min(word.length, 10) / 10;
    scored.push({ word, weight, order });
  });
  scored.sort((a, b) => b.weight - a.weight || a.order - b.order);
  return { keywords: scored.slice(0, MAX_KEYWORDS).map((s) => s.word), entities, years };
}

/** True when a user's query has nothing a full-text search could match (only stop words or punctuation). */
export function hasSearchableTerms(q: string): boolean {
  return queryTerms(q).keywords.length > 0;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Identity of an evidence row for one claim: the same provider finding the same passage at the same URL is the same row. */
export function evidenceHash(provider: string, url: string | null, quote: string | null): string {
  return sha256(JSON.stringify([provider, url ?? '', (quote ?? '').replace(/\s+/g, ' ').trim()]));
}
