import { lowersScore } from '../../extraction/weights.ts';
// Durations in plain hours and days (UI.md): "3 h 20 min", "2 d 4 h".

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(Math.abs(seconds)));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

export function since(iso: string, now = Date.now()): string {
  return duration((now - Date.parse(iso)) / 1000);
}

export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

export function dateTimeSeconds(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function time(iso: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** "due in 3 h" / "overdue by 20 min", and whether it is overdue. */
export function sla(dueAt: string | null, now = Date.now()): { text: string; overdue: boolean } {
  if (!dueAt) return { text: 'no deadline', overdue: false };
  const left = (Date.parse(dueAt) - now) / 1000;
  return left >= 0 ? { text: `due in ${duration(left)}`, overdue: false } : { text: `overdue by ${duration(-left)}`, overdue: true };
}

export function label(value: string): string {
  const s = value.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (i - lo);
}

// The extractor's signals, in the words a fact-checker would use; which of them lower a score is the extractor's own
// table (src/extraction/weights.ts).
const SIGNALS: Record<string, string> = {
  number: 'a figure',
  percentage: 'a percentage',
  money: 'a sum of money',
  proportion: 'a proportion',
  multiplier: 'a multiple ("twice as")',
  date: 'a date',
  year: 'a year',
  superlative: 'a superlative ("record", "highest")',
  superlative_scope: 'what the superlative is measured against',
  comparison: 'a comparison',
  change: 'a change ("rose", "fell")',
  reported_speech: 'reported speech',
  attribution: 'a named source',
  named_entity: 'a named person, place or body',
  event: 'a verifiable event',
  causal: 'a cause and effect',
  quote: 'a quotation',
  reported_forecast: 'a forecast someone reported',
  unquantified_quote: 'a quotation with no figure',
  opinion: 'opinion words',
  prediction: 'a prediction',
  hedged_possibility: 'hedging',
  first_person_plan: 'a promise or plan',
  short: 'very short',
  vague: 'vague subject ("this", "it")',
  caption: 'reads like a caption',
  site_furniture: 'page furniture',
  call_to_action: 'a call to action',
  byline: 'a byline',
  dateline: 'a dateline',
  headline: 'a headline',
  question: 'a question',
};

/** The signals behind a check-worthiness score, split into those that raised it and those that lowered it. */
export function signals(features: readonly string[]): { raised: string[]; lowered: string[] } {
  const named = (f: string) => SIGNALS[f] ?? label(f);
  return { raised: features.filter((f) => !lowersScore(f)).map(named), lowered: features.filter(lowersScore).map(named) };
}
