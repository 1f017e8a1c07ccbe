// Prints precision/recall/F1 of claim extraction against the hand-labeled set in
// test/fixtures/extraction, and how the two candidate sentence segmenters agree with the labels.
import { parseArgs } from 'node:util';
import nlp from 'compromise/one';
import { evaluate, buildBody, loadArticles } from './extraction-evaluation.ts';
import { segmentSentences, splitBlocks } from '../src/extraction/segment.ts';

const verbose = parseArgs({ options: { verbose: { type: 'boolean', default: false } } }).values.verbose;
const pct = (n: number): string => n.toFixed(3);

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
console.table(rows);

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
