// Training and cross-validation of the check-worthiness model (src/extraction/model.ts), shared by
// scripts/train-checkworthiness.ts, bench/extraction-eval.ts and the determinism test.
//
// Logistic regression written here rather than taken from a library: the maintained pure-JS ones (ml-logistic-regression
// and friends) work on dense matrices, and the model has tens of thousands of sparse binary terms; a sparse AdaGrad SGD
// is some sixty lines, has no native build and is deterministic given the seed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ruleFeatures } from '../src/extraction/index.ts';
import { formatModel, sentenceTerms } from '../src/extraction/model.ts';
import { seededRandom } from '../src/domain/seeded-random.ts';

export const REPO_ROOT = join(import.meta.dirname, '..');
/** Where the debate data lives by default: ../shared/data next to the repository (see README, "The check-worthiness model"). */
export const DEFAULT_DATA = join(REPO_ROOT, '../shared/data/checkworthiness-debates.csv');
export const CITATION =
  'F. Arslan, N. Hassan, C. Li, M. Tremayne, "A Benchmark Dataset of Check-worthy Factual Claims", ICWSM 2020, doi:10.5281/zenodo.3609356 (ClaimBuster dataset)';

export interface LabeledSentence {
  id: number;
  label: 0 | 1;
  text: string;
}

export function readDebates(path: string): LabeledSentence[] {
  const rows = parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  const out = rows.map((r, i) => {
    const id = Number(r.sentence_id);
    const label = r.label === '1' ? 1 : r.label === '0' ? 0 : null;
    if (!Number.isInteger(id) || label === null || typeof r.text !== 'string') throw new Error(`${path}: row ${i + 2} is not sentence_id,label(0|1),text`);
    return { id, label, text: r.text } as LabeledSentence;
  });
  // Sorted by id: neighbouring ids come from the same debate, which is what the contiguous folds rely on.
  return out.sort((a, b) => a.id - b.id);
}

export interface TrainOptions {
  seed: number;
  epochs: number;
  /** L2 strength per example step. */
  l2: number;
  learningRate: number;
  /** A term must occur in at least this many training sentences. */
  minCount: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { seed: 14, epochs: 6, l2: 1e-3, learningRate: 0.1, minCount: 2 };

export interface Featurized {
  label: 0 | 1;
  terms: string[];
}

export function featurize(sentences: LabeledSentence[]): Featurized[] {
  return sentences.map((s) => ({ label: s.label, terms: sentenceTerms(s.text, ruleFeatures(s.text)) }));
}

export interface Trained {
  bias: number;
  weights: Map<string, number>;
}

export function train(data: Featurized[], options: TrainOptions = DEFAULT_TRAIN_OPTIONS): Trained {
  const counts = new Map<string, number>();
  for (const d of data) for (const t of d.terms) counts.set(t, (counts.get(t) ?? 0) + 1);
  const vocab = [...counts.keys()].filter((t) => (counts.get(t) ?? 0) >= options.minCount).sort();
  const index = new Map(vocab.map((t, i) => [t, i]));
  const rows = data.map((d) => ({ label: d.label, idx: Int32Array.from(d.terms.map((t) => index.get(t) ?? -1).filter((i) => i >= 0)) }));
  const w = new Float64Array(vocab.length);
  const g2 = new Float64Array(vocab.length).fill(1e-8);
  let bias = 0;
  let biasG2 = 1e-8;
  // Balanced class weights: the debate data has 2.5 negatives per positive.
  const positives = rows.filter((r) => r.label === 1).length;
  const classWeight = [rows.length / (2 * Math.max(1, rows.length - positives)), rows.length / (2 * Math.max(1, positives))];
  const random = seededRandom(options.seed);
  const order = rows.map((_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    for (const k of order) {
      const row = rows[k];
      if (!row) continue;
      let z = bias;
      for (const i of row.idx) z += w[i] ?? 0;
      const p = 1 / (1 + Math.exp(-z));
      const g = (p - row.label) * (classWeight[row.label] ?? 1);
      biasG2 += g * g;
      bias -= (options.learningRate / Math.sqrt(biasG2)) * g;
      for (const i of row.idx) {
        const gi = g + options.l2 * (w[i] ?? 0);
        g2[i] = (g2[i] ?? 0) + gi * gi;
        w[i] = (w[i] ?? 0) - (options.learningRate / Math.sqrt(g2[i] ?? 1)) * gi;
      }
    }
  }
  const weights = new Map<string, number>();
  vocab.forEach((t, i) => {
    const v = w[i] ?? 0;
    // Weights that round to zero in the file carry nothing; leaving them out keeps the file small.
    if (Math.abs(v) >= 5e-4) weights.set(t, v);
  });
  return { bias, weights };
}

export function predict(model: Trained, terms: readonly string[]): number {
  let z = model.bias;
  for (const t of terms) z += model.weights.get(t) ?? 0;
  return 1 / (1 + Math.exp(-z));
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function countAt(probabilities: number[], labels: Array<0 | 1>, threshold: number): Counts {
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  probabilities.forEach((p, i) => {
    const yes = p >= threshold;
    if (labels[i] === 1) {
      if (yes) c.tp++;
      else c.fn++;
    } else if (yes) c.fp++;
    else c.tn++;
  });
  return c;
}

export function prf(c: Counts): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/** The threshold (on a 0.01 grid) with the best F1 of the check-worthy class. */
export function bestThreshold(probabilities: number[], labels: Array<0 | 1>): number {
  let best = 0.5;
  let bestF1 = -1;
  for (let t = 0.05; t <= 0.951; t += 0.01) {
    const f = prf(countAt(probabilities, labels, t)).f1;
    if (f > bestF1) {
      bestF1 = f;
      best = Math.round(t * 100) / 100;
    }
  }
  return best;
}

/** Contiguous blocks of the (id-sorted) data: fold k is [k*n/folds, (k+1)*n/folds). */
export function contiguousFolds(n: number, folds: number): Array<[number, number]> {
  return Array.from({ length: folds }, (_, k) => [Math.floor((k * n) / folds), Math.floor(((k + 1) * n) / folds)]);
}

/**
 * Trains on `data` with a threshold chosen on data no model trained on: an inner 3-fold cross-validation by contiguous
 * blocks (so a debate is not on both sides) gives every sentence an out-of-fold probability, the threshold with the best
 * F1 over those is kept, and the model is retrained on everything.
 */
export function trainWithThreshold(data: Featurized[], options: TrainOptions = DEFAULT_TRAIN_OPTIONS): Trained & { threshold: number } {
  const probabilities: number[] = [];
  for (const [a, b] of contiguousFolds(data.length, 3)) {
    const inner = train([...data.slice(0, a), ...data.slice(b)], options);
    for (const d of data.slice(a, b)) probabilities.push(predict(inner, d.terms));
  }
  const threshold = bestThreshold(probabilities, data.map((d) => d.label));
  return { ...train(data, options), threshold };
}

export interface FoldResult extends Counts {
  fold: number;
  ids: string;
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
}

/** k-fold cross-validation by contiguous sentence_id blocks; thresholds are chosen inside the training folds only. */
export function crossValidate(sentences: LabeledSentence[], folds = 10, options: TrainOptions = DEFAULT_TRAIN_OPTIONS): { folds: FoldResult[]; pooled: Counts & { precision: number; recall: number; f1: number } } {
  const data = featurize(sentences);
  const results: FoldResult[] = [];
  const pooled = { tp: 0, fp: 0, fn: 0, tn: 0 };
  contiguousFolds(data.length, folds).forEach(([a, b], k) => {
    const model = trainWithThreshold([...data.slice(0, a), ...data.slice(b)], options);
    const test = data.slice(a, b);
    const c = countAt(test.map((d) => predict(model, d.terms)), test.map((d) => d.label), model.threshold);
    for (const key of ['tp', 'fp', 'fn', 'tn'] as const) pooled[key] += c[key];
    results.push({ fold: k + 1, ids: `${sentences[a]?.id ?? ''}–${sentences[b - 1]?.id ?? ''}`, threshold: model.threshold, ...c, ...prf(c) });
  });
  return { folds: results, pooled: { ...pooled, ...prf(pooled) } };
}

/** The model file for the committed weights: terms sorted so the same seed gives the same bytes. */
export function modelFile(model: Trained & { threshold: number }, options: TrainOptions, trainedOn: string): string {
  const weights = [...model.weights.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return formatModel(
    {
      citation: CITATION,
      data: trainedOn,
      model: 'logistic regression (AdaGrad SGD, balanced class weights, L2) over word unigrams, bigrams, first words, a length bucket and the rule features',
      options: JSON.stringify(options),
      rebuild: 'npm run train:checkworthiness',
    },
    model.bias,
    weights,
    model.threshold,
  );
}
