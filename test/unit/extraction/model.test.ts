import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractClaims } from '../../../src/extraction/index.ts';
import { defaultModel, MODEL_FILE, ModelFileError, parseModel, sentenceTerms } from '../../../src/extraction/model.ts';
import { lowersScore } from '../../../src/extraction/weights.ts';
import { DEFAULT_TRAIN_OPTIONS, featurize, modelFile, readDebates, trainWithThreshold } from '../../../scripts/checkworthiness-training.ts';

const ROOT = join(import.meta.dirname, '../../..');
const committed = readFileSync(join(ROOT, MODEL_FILE), 'utf8');
const SAMPLE = join(ROOT, 'test/fixtures/checkworthiness/sample.csv');

function refusal(text: string): string {
  try {
    parseModel(text, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ModelFileError);
    return (err as Error).message;
  }
  throw new Error('the damaged model was accepted');
}

describe('the committed check-worthiness model', () => {
  it('loads, carries the citation of its data, and stays under 5 MB', () => {
    expect(Buffer.byteLength(committed)).toBeLessThanOrEqual(5 * 1024 * 1024);
    const model = parseModel(committed, MODEL_FILE);
    expect(model.header.citation).toMatch(/Arslan.*ICWSM 2020/);
    expect(model.weights.size).toBeGreaterThan(1000);
    expect(model.threshold).toBeGreaterThan(0);
    expect(defaultModel().weights.size).toBe(model.weights.size);
  });

  it('refuses a damaged file with a message saying what is wrong', () => {
    const json = JSON.parse(committed) as Record<string, unknown>;
    // One weight edited: the checksum no longer matches.
    const edited = committed.replace(/(\\nb:[^\\]*\\t-?)(\d)/, (_m, head: string, digit: string) => head + (digit === '9' ? '8' : '9'));
    expect(edited).not.toBe(committed);
    expect(refusal(edited)).toMatch(/sha256/);
    expect(refusal(committed.slice(0, committed.length / 2))).toMatch(/not JSON/);
    expect(refusal(JSON.stringify({ ...json, format: 'something else' }))).toMatch(/format/);
    expect(refusal(JSON.stringify({ ...json, threshold: 7 }))).toMatch(/threshold/);
    expect(refusal('[]')).toMatch(/not a JSON object/);
    // A consistent checksum over a broken line still fails, naming the line.
    const body = '__bias__\t0.1\nw:cut\tnot-a-number\n';
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(refusal(JSON.stringify({ ...json, weights: body, sha256, terms: 1 }))).toMatch(/line 2/);
  });

  it('shows the terms that pushed a score among the features, the lowering ones flagged', () => {
    const [claim] = extractClaims('He voted against the infrastructure bill three times.', { includeBelowThreshold: true, kind: 'transcript' });
    const raised = claim?.features.filter((f) => f.startsWith('model+: ')) ?? [];
    expect(raised.length).toBeGreaterThan(0);
    const [opinion] = extractClaims('I think we need a president who cares about you.', { includeBelowThreshold: true, kind: 'transcript' });
    const lowered = opinion?.features.filter((f) => f.startsWith('model-: ')) ?? [];
    expect(lowered.length).toBeGreaterThan(0);
    for (const f of lowered) expect(lowersScore(f)).toBe(true);
    for (const f of raised) expect(lowersScore(f)).toBe(false);
    expect(claim?.score ?? 0).toBeGreaterThan(opinion?.score ?? 1);
  });

  it('builds the same terms for training and scoring, with rule features among them', () => {
    expect(sentenceTerms("We've cut 700,000 jobs", ['number'])).toEqual(
      expect.arrayContaining(["w:we've", 'w:cut', 'w:000', "b:we've cut", "s:we've", 'r:number', 'len:short']),
    );
  });
});

describe('training', () => {
  it('is deterministic: the same seed gives the same weights file, another seed another', () => {
    const data = featurize(readDebates(SAMPLE));
    const options = { ...DEFAULT_TRAIN_OPTIONS, epochs: 3 };
    const a = modelFile(trainWithThreshold(data, options), options, 'sample');
    const b = modelFile(trainWithThreshold(data, options), options, 'sample');
    expect(a).toBe(b);
    const other = { ...options, seed: options.seed + 1 };
    expect(modelFile(trainWithThreshold(data, other), other, 'sample')).not.toBe(a);
    // What it writes is a file the extractor accepts.
    expect(parseModel(a, 'sample model').weights.size).toBeGreaterThan(100);
  });

  it('refuses a data file that is not sentence_id,label,text', () => {
    const bad = join(ROOT, 'test/fixtures/checkworthiness/README.md');
    expect(() => readDebates(bad)).toThrow();
  });
});
