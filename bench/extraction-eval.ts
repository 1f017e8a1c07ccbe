// Prints precision/recall/F1 of claim extraction against the hand-labeled set in
// test/fixtures/extraction, the labelled transcripts in test/fixtures/transcripts, the 10-fold cross-validation of the
// check-worthiness model on the debate sentences (--data, default ../shared/data/checkworthiness-debates.csv), and how
// the two candidate sentence segmenters agree with the labels.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import nlp from 'compromise/one';
import { evaluate, evaluateTranscripts, buildBody, loadArticles } from './extraction-evaluation.ts';
import { countAt, crossValidate, DEFAULT_DATA, prf, readDebates } from '../scripts/checkworthiness-training.ts';
import { extractClaims } from '../src/extraction/index.ts';
import { segmentSentences, splitBlocks } from '../src/extraction/segment.ts';

const args = parseArgs({ options: { verbose: { type: 'boolean', default: false }, data: { type: 'string', default: DEFAULT_DATA }, 'no-cv': { type: 'boolean', default: false } } }).values;
const verbose = args.verbose;
const pct = (n: number): string => n.toFixed(3);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const result = evaluate();
const rows = result.articles.map((a) => ({
  article: a.id,
  topic: a.topic,
  sentences: a.sentences,
  claims: a.labeledClaims,
  tp: a.tp,
  fp: a.fp,
  fn: a.fn,
  precision: pct(a.precision),
  recall: pct(a.recall),
  f1: pct(a.f1),
  quantities: `${a.quantitiesFound}/${a.quantitiesExpected}`,
  checks: `${a.checksMatched}/${a.checksExpected}`,
}));
const o = result.overall;
rows.push({
  article: 'OVERALL',
  topic: '',
  sentences: o.sentences,
  claims: o.tp + o.fn,
  tp: o.tp,
  fp: o.fp,
  fn: o.fn,
  precision: pct(o.precision),
  recall: pct(o.recall),
  f1: pct(o.f1),
  quantities: pct(o.quantityRecall),
  checks: pct(o.checkAccuracy),
});
console.log('News articles (test/fixtures/extraction):');
console.table(rows);

console.log('Transcripts (test/fixtures/transcripts, labelled before the extractor was run on them):');
const transcripts = evaluateTranscripts();
const tSum = (k: 'tp' | 'fp' | 'fn'): number => transcripts.reduce((n, t) => n + t[k], 0);
const tOverall = prf({ tp: tSum('tp'), fp: tSum('fp'), fn: tSum('fn'), tn: 0 });
console.table([
  ...transcripts.map((t) => ({ transcript: t.id, topic: t.topic, sentences: t.sentences, claims: t.labeledClaims, tp: t.tp, fp: t.fp, fn: t.fn, precision: pct(t.precision), recall: pct(t.recall), f1: pct(t.f1) })),
  { transcript: 'OVERALL', topic: '', sentences: transcripts.reduce((n, t) => n + t.sentences, 0), claims: tSum('tp') + tSum('fn'), tp: tSum('tp'), fp: tSum('fp'), fn: tSum('fn'), precision: pct(tOverall.precision), recall: pct(tOverall.recall), f1: pct(tOverall.f1) },
]);
if (verbose) for (const t of transcripts) for (const x of [...t.falsePositives.map((f) => `FP  ${t.id}: ${f}`), ...t.missed.map((m) => `FN  ${t.id}: ${m}`)]) console.log(x);

if (args['no-cv']) {
  // skipped on request
} else if (!existsSync(args.data)) {
  console.log(`Debate cross-validation: no data at ${args.data}; pass --data PATH to checkworthiness-debates.csv (see README, "The check-worthiness model").`);
} else {
  const debates = readDebates(args.data);
  // Today's extractor without the model, as the baseline: a sentence is check-worthy when its rule score reaches 0.5.
  const rulesOnly = debates.map((d) => Math.max(0, ...extractClaims(d.text, { includeBelowThreshold: true, kind: 'news', model: null }).map((c) => c.score)));
  const base = prf(countAt(rulesOnly, debates.map((d) => d.label), 0.5));
  const t0 = performance.now();
  const cv = crossValidate(debates, 10);
  console.log(`Check-worthy class on ${debates.length} debate sentences, 10-fold cross-validation by contiguous sentence_id blocks (threshold chosen inside the training folds):`);
  console.table([
    ...cv.folds.map((f) => ({ fold: f.fold, sentence_ids: f.ids, threshold: f.threshold.toFixed(2), tp: f.tp, fp: f.fp, fn: f.fn, precision: pct(f.precision), recall: pct(f.recall), f1: pct(f.f1) })),
    { fold: 'POOLED', sentence_ids: '', threshold: '', tp: cv.pooled.tp, fp: cv.pooled.fp, fn: cv.pooled.fn, precision: pct(cv.pooled.precision), recall: pct(cv.pooled.recall), f1: pct(cv.pooled.f1) },
    { fold: 'MEAN', sentence_ids: '', threshold: '', tp: '', fp: '', fn: '', precision: pct(mean(cv.folds.map((f) => f.precision))), recall: pct(mean(cv.folds.map((f) => f.recall))), f1: pct(mean(cv.folds.map((f) => f.f1))) },
    { fold: 'rules only (no model, score >= 0.5)', sentence_ids: '', threshold: '0.50', tp: '', fp: '', fn: '', precision: pct(base.precision), recall: pct(base.recall), f1: pct(base.f1) },
  ]);
  console.log(`cross-validation took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

if (verbose) {
  for (const a of result.articles) {
    for (const t of a.falsePositives) console.log(`FP  ${a.id}: ${t}`);
    for (const t of a.missed) console.log(`FN  ${a.id}: ${t}`);
    for (const t of a.checkMismatches) console.log(`CHK ${a.id}: ${t}`);
    for (const t of a.quantityMisses) console.log(`QTY ${a.id}: ${t}`);
  }
}

// Segmenter comparison: a labeled sentence counts as found when a segment has exactly its span.
interface Span { start: number; end: number }
function compromiseSegments(body: string): Span[] {
  const out: Span[] = [];
  for (const block of splitBlocks(body)) {
    // compromise's own offsets skip an opening quotation mark, so its sentence text is located instead.
    const blockText = body.slice(block.start, block.end);
    const sentences = nlp(blockText).out('array') as string[];
    let cursor = 0;
    for (const s of sentences) {
      const text = s.trim();
      const at = blockText.indexOf(text, cursor);
      if (at === -1) continue;
      out.push({ start: block.start + at, end: block.start + at + text.length });
      cursor = at + text.length;
    }
  }
  return out;
}
const built = loadArticles().map(buildBody);
const segmenters: Array<[string, (body: string) => Span[]]> = [
  ['wink-nlp + wink-eng-lite-web-model', (b) => segmentSentences(b)],
  ['compromise/one', compromiseSegments],
];
const segRows = segmenters.map(([name, segment]) => {
  let exact = 0;
  let total = 0;
  let produced = 0;
  const misses: string[] = [];
  for (const b of built) {
    const spans = segment(b.body);
    produced += spans.length;
    for (const l of b.labels) {
      total++;
      const trimmed = { start: l.start, end: l.end };
      if (spans.some((s) => s.start === trimmed.start && s.end === trimmed.end)) exact++;
      else misses.push(l.text);
    }
  }
  // Warm up, then time whole-set segmentation.
  for (let i = 0; i < 5; i++) for (const b of built) segment(b.body);
  const runs = 30;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) for (const b of built) segment(b.body);
  const ms = (performance.now() - t0) / runs;
  if (verbose) for (const m of misses) console.log(`SEG ${name}: ${m}`);
  return { segmenter: name, labeled: total, segments: produced, exact, accuracy: pct(exact / total), 'ms per set': ms.toFixed(2) };
});
console.table(segRows);
