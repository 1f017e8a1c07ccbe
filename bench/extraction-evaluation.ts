import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { extractClaims } from '../src/extraction/index.ts';
import type { ExtractedClaim, ExtractOptions } from '../src/extraction/index.ts';

export const FIXTURE_DIR = join(import.meta.dirname, '../test/fixtures/extraction');

export interface LabeledSentence {
  text: string;
  claim: boolean;
  para?: boolean;
  quantities?: string[];
  checks?: Array<'consistent' | 'inconsistent' | 'unknown'>;
}

export interface LabeledArticle {
  id: string;
  topic: string;
  title: string;
  sentences: LabeledSentence[];
}

export interface PlacedLabel extends LabeledSentence {
  start: number;
  end: number;
}

export interface Built {
  article: LabeledArticle;
  body: string;
  labels: PlacedLabel[];
}

export function loadArticles(dir = FIXTURE_DIR): LabeledArticle[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as LabeledArticle);
}

/** The body is rebuilt from the labeled sentences so every sentence of the article carries a label. */
export function buildBody(article: LabeledArticle): Built {
  let body = '';
  const labels: PlacedLabel[] = [];
  article.sentences.forEach((s, i) => {
    if (i > 0) body += s.para ? '\n\n' : ' ';
    labels.push({ ...s, start: body.length, end: body.length + s.text.length });
    body += s.text;
  });
  return { article, body: `${body}\n`, labels };
}

export interface ArticleScore {
  id: string;
  topic: string;
  sentences: number;
  labeledClaims: number;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  quantitiesExpected: number;
  quantitiesFound: number;
  checksExpected: number;
  checksMatched: number;
  falsePositives: string[];
  missed: string[];
  checkMismatches: string[];
  quantityMisses: string[];
}

function overlap(a: { start: number; end: number }, b: { start: number; end: number }): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
}

function ratio(n: number, d: number): number {
  return d === 0 ? 1 : n / d;
}

export function f1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

export function scoreArticle(built: Built, options: ExtractOptions = {}): ArticleScore {
  const claims = extractClaims(built.body, options);
  const matched = new Map<PlacedLabel, ExtractedClaim>();
  let tp = 0;
  let fp = 0;
  const falsePositives: string[] = [];
  for (const claim of claims) {
    // Each prediction belongs to the label it overlaps most; a split label yields one TP and extra FPs.
    let best: PlacedLabel | null = null;
    let bestOverlap = 0;
    for (const label of built.labels) {
      const o = overlap(claim, label);
      if (o > bestOverlap) {
        best = label;
        bestOverlap = o;
      }
    }
    if (best?.claim && !matched.has(best)) {
      matched.set(best, claim);
      tp++;
    } else {
      fp++;
      falsePositives.push(claim.text);
    }
  }
  const positives = built.labels.filter((l) => l.claim);
  const missed = positives.filter((l) => !matched.has(l)).map((l) => l.text);
  let quantitiesExpected = 0;
  let quantitiesFound = 0;
  let checksExpected = 0;
  let checksMatched = 0;
  const checkMismatches: string[] = [];
  const quantityMisses: string[] = [];
  for (const label of positives) {
    const claim = matched.get(label);
    for (const q of label.quantities ?? []) {
      quantitiesExpected++;
      if (claim?.quantities.some((found) => found.text === q || found.text.includes(q) || q.includes(found.text))) quantitiesFound++;
      else quantityMisses.push(`${q} in: ${label.text}`);
    }
    const expected = label.checks ?? [];
    const got = claim?.checks.map((c) => c.status) ?? [];
    checksExpected += expected.length;
    const same = expected.length === got.length && expected.every((s, i) => got[i] === s);
    if (same) checksMatched += expected.length;
    else checkMismatches.push(`expected [${expected.join(', ')}] got [${got.join(', ')}] in: ${label.text}`);
  }
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, positives.length);
  return {
    id: built.article.id,
    topic: built.article.topic,
    sentences: built.labels.length,
    labeledClaims: positives.length,
    tp,
    fp,
    fn: missed.length,
    precision,
    recall,
    f1: f1(precision, recall),
    quantitiesExpected,
    quantitiesFound,
    checksExpected,
    checksMatched,
    falsePositives,
    missed,
    checkMismatches,
    quantityMisses,
  };
}

export interface Evaluation {
  articles: ArticleScore[];
  overall: { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number; sentences: number; quantityRecall: number; checkAccuracy: number };
}

export function evaluate(options: ExtractOptions = {}): Evaluation {
  const articles = loadArticles().map((a) => scoreArticle(buildBody(a), options));
  const sum = (k: keyof ArticleScore): number => articles.reduce((n, a) => n + (a[k] as number), 0);
  const tp = sum('tp');
  const fp = sum('fp');
  const fn = sum('fn');
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    articles,
    overall: {
      tp,
      fp,
      fn,
      precision,
      recall,
      f1: f1(precision, recall),
      sentences: sum('sentences'),
      quantityRecall: ratio(sum('quantitiesFound'), sum('quantitiesExpected')),
      checkAccuracy: ratio(sum('checksMatched'), sum('checksExpected')),
    },
  };
}

export const TRANSCRIPT_DIR = join(import.meta.dirname, '../test/fixtures/transcripts');

export interface LabeledTranscript {
  id: string;
  topic: string;
  turns: Array<{ speaker: string; time?: string; sentences: LabeledSentence[] }>;
}

/** A transcript as `[time] SPEAKER: sentence sentence` lines, each sentence placed for scoring. */
export function buildTranscript(t: LabeledTranscript): Built {
  let body = '';
  const labels: PlacedLabel[] = [];
  const sentences: LabeledSentence[] = [];
  for (const turn of t.turns) {
    body += `${turn.time ? `[${turn.time}] ` : ''}${turn.speaker}: `;
    turn.sentences.forEach((s, i) => {
      if (i > 0) body += ' ';
      labels.push({ ...s, start: body.length, end: body.length + s.text.length });
      sentences.push(s);
      body += s.text;
    });
    body += '\n';
  }
  return { article: { id: t.id, topic: t.topic, title: t.id, sentences }, body, labels };
}

export function evaluateTranscripts(options: ExtractOptions = {}): ArticleScore[] {
  return readdirSync(TRANSCRIPT_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => scoreArticle(buildTranscript(parse(readFileSync(join(TRANSCRIPT_DIR, f), 'utf8')) as LabeledTranscript), options));
}
