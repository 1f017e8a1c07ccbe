// Hostile input against plain sentence splitting of prose of the same size, at two sizes.
// For each shape: ratio = extractClaims on the hostile text ÷ wink's plain sentence splitting of the demo article
// repeated to the same size, both timed in this run (median of 5 after a warm-up). growth = the cost per byte at the
// large size ÷ the cost per byte at the small one: about 1 when the cost is linear in the size, about 4 (the size
// ratio) when it is quadratic.
//   npm run bench:hostile                 256 kB and 1 MB
//   npm run bench:hostile -- --quick      64 kB and 256 kB
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { extractClaims } from '../src/extraction/index.ts';
import { HOSTILE_INPUTS, proseOfSize } from './hostile-inputs.ts';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const sizes = args.quick ? [64 * 1024, 256 * 1024] : [256 * 1024, 1024 * 1024];
// A shape whose ratio grows by more than this from the small size to the large one is reported as not linear.
const MAX_GROWTH = 2;
const RUNS = 5;

const article = (JSON.parse(readFileSync(join(import.meta.dirname, '../db/seeds/demo-article.json'), 'utf8')) as { body: string }).body;
const sbd = winkNLP(model, ['sbd']);

/** Median of `runs` timings, with the extremes, in ms. */
function time(fn: () => void, runs = RUNS): { median: number; min: number; max: number } {
  fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)] ?? 0, min: ms[0] ?? 0, max: ms[ms.length - 1] ?? 0 };
}

extractClaims(article);
sbd.readDoc(article).sentences().out();

const rows: Array<Record<string, string>> = [];
const results: unknown[] = [];
let failures = 0;
const baselines = new Map(sizes.map((size) => {
  const prose = proseOfSize(article, size);
  return [size, time(() => sbd.readDoc(prose).sentences().out())];
}));
for (const input of HOSTILE_INPUTS) {
  if (args.only && !input.name.includes(args.only)) continue;
  const ratios: number[] = [];
  const perByte: number[] = [];
  for (const size of sizes) {
    const text = input.make(size);
    const t = time(() => extractClaims(text, { includeBelowThreshold: true, kind: input.kind ?? 'auto' }));
    const base = baselines.get(size)?.median ?? 1;
    ratios.push(t.median / base);
    perByte.push(t.median / text.length);
    results.push({ name: `hostile/${input.name}/${size}`, numerator: t.median, denominator: base, ratio: t.median / base, runs: RUNS, min: t.min, max: t.max });
  }
  const growth = (perByte[1] ?? 0) / (perByte[0] ?? 1);
  const linear = growth <= MAX_GROWTH;
  if (!linear) failures++;
  rows.push({
    input: input.name,
    [`x plain @${sizes[0]! / 1024}kB`]: ratios[0]!.toFixed(2),
    [`x plain @${sizes[1]! / 1024}kB`]: ratios[1]!.toFixed(2),
    growth: growth.toFixed(2),
    linear: linear ? 'yes' : 'NO',
  });
}
console.log(`baseline: wink sentence splitting of prose, ${sizes.map((s) => `${s / 1024} kB ${baselines.get(s)?.median.toFixed(0)} ms`).join(', ')}`);
console.table(rows);
console.log(`${rows.length - failures} of ${rows.length} shapes linear (cost per byte grows ≤ ${MAX_GROWTH}x from ${sizes[0]! / 1024} kB to ${sizes[1]! / 1024} kB)`);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'hostile.json'), JSON.stringify({ results, env: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, date: new Date().toISOString() } }, null, 2));
process.exitCode = failures > 0 ? 1 : 0;
