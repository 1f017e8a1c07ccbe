// `npm run train:checkworthiness [-- --data PATH] [--seed N] [--out PATH]`: trains the check-worthiness model on the
// labelled debate sentences and writes the weights file the extractor loads (src/extraction/checkworthiness-model.json).
// Same data and seed, same bytes. Takes well under a minute on one core.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { MODEL_FILE, parseModel } from '../src/extraction/model.ts';
import { DEFAULT_DATA, DEFAULT_TRAIN_OPTIONS, featurize, modelFile, readDebates, REPO_ROOT, trainWithThreshold } from './checkworthiness-training.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA },
    seed: { type: 'string', default: String(DEFAULT_TRAIN_OPTIONS.seed) },
    out: { type: 'string', default: join(REPO_ROOT, MODEL_FILE) },
  },
});
const seed = Number(values.seed);
if (!Number.isInteger(seed)) {
  console.error(`train:checkworthiness: --seed must be an integer, got ${values.seed}`);
  process.exit(2);
}
let sentences;
try {
  sentences = readDebates(values.data);
} catch (err) {
  console.error(`train:checkworthiness: cannot read the debate data at ${values.data} (${err instanceof Error ? err.message : String(err)}); pass --data PATH`);
  process.exit(2);
}
const t0 = performance.now();
const options = { ...DEFAULT_TRAIN_OPTIONS, seed };
const model = trainWithThreshold(featurize(sentences), options);
const file = modelFile(model, options, `${sentences.length} sentences, ${sentences.filter((s) => s.label === 1).length} check-worthy`);
writeFileSync(values.out, file);
const seconds = ((performance.now() - t0) / 1000).toFixed(1);
const t1 = performance.now();
parseModel(readFileSync(values.out, 'utf8'), values.out);
console.log(
  `wrote ${relative(REPO_ROOT, values.out) || values.out}: ${model.weights.size} terms, ${(statSync(values.out).size / 1024).toFixed(0)} kB, threshold ${model.threshold}, trained in ${seconds} s, loads in ${(performance.now() - t1).toFixed(0)} ms`,
);
