// The learned check-worthiness model: logistic regression over word unigrams and bigrams, the sentence's first words,
// a length bucket and the rule features of features.ts. Trained by scripts/train-checkworthiness.ts on the ClaimBuster
// debate sentences (Arslan et al., ICWSM 2020); the weights are a committed text file read once, on first use.
import { createHash } from 'node:crypto';
// The committed weights, imported as a JSON module: extraction stays free of I/O, and the file ships with the code.
import committedModel from './checkworthiness-model.json' with { type: 'json' };

export const MODEL_FORMAT = 'claimdesk-checkworthiness-model v1';
/** The committed model file, relative to the repository root. */
export const MODEL_FILE = 'src/extraction/checkworthiness-model.json';

export class ModelFileError extends Error {
  constructor(source: string, detail: string) {
    super(`check-worthiness model ${source} is unusable: ${detail}`);
    this.name = 'ModelFileError';
  }
}

export interface CheckworthinessModel {
  /** Header fields (format, citation, data, options, threshold, terms, sha256), as strings. */
  header: Record<string, string>;
  bias: number;
  weights: Map<string, number>;
  /** Threshold chosen on held-out debate sentences during training: the default cut-off for transcripts. */
  threshold: number;
}

// Words: letters and digits, with inner apostrophes ("we've", "didn't"); digits fold to 0 so "$700,000" and "$900,000"
// share terms. Each alternative consumes at least one character and none overlaps the next: linear time.
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;
const DIGIT = /\p{N}/gu;

function lengthBucket(words: number): string {
  if (words <= 5) return 'len:short';
  if (words <= 10) return 'len:6-10';
  if (words <= 20) return 'len:11-20';
  if (words <= 40) return 'len:21-40';
  return 'len:long';
}

/**
 * The model's terms for one sentence, deduplicated, in a stable order. The same function builds the training
 * matrix and scores at run time, so the two cannot drift apart.
 */
export function sentenceTerms(text: string, ruleFeatures: readonly string[]): string[] {
  const words = text.toLowerCase().match(WORD) ?? [];
  const seen = new Set<string>();
  let previous: string | null = null;
  for (const raw of words) {
    const w = foldWord(raw);
    seen.add(`w:${w}`);
    seen.add(previous === null ? `s:${w}` : `b:${previous} ${w}`);
    previous = w;
  }
  if (words.length >= 2) seen.add(`s2:${foldWord(words[0] ?? '')} ${foldWord(words[1] ?? '')}`);
  seen.add(lengthBucket(words.length));
  for (const f of ruleFeatures) seen.add(`r:${f}`);
  return [...seen];
}

/** Digits fold to 0 and a curly apostrophe to a straight one; most words have neither and are returned as they are. */
function foldWord(w: string): string {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 0x2019 || c > 0x7f) return w.replace(DIGIT, '0').replace(/’/g, "'");
  }
  return w;
}

export interface ModelScore {
  probability: number;
  /** The terms that moved the score most, strongest first, with their weights. */
  top: Array<{ term: string; weight: number }>;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function scoreTerms(model: CheckworthinessModel, terms: readonly string[], topN = 3): ModelScore {
  let z = model.bias;
  const top: Array<{ term: string; weight: number }> = [];
  for (const term of terms) {
    const w = model.weights.get(term);
    if (w === undefined) continue;
    z += w;
    if (topN > 0 && !term.startsWith('r:') && !term.startsWith('len:')) {
      // Keep the topN largest |w| in a small sorted array: no sort of every term per sentence.
      if (top.length < topN || Math.abs(w) > Math.abs(top[top.length - 1]?.weight ?? 0)) {
        let at = top.length;
        while (at > 0 && Math.abs(top[at - 1]?.weight ?? 0) < Math.abs(w)) at--;
        top.splice(at, 0, { term, weight: w });
        if (top.length > topN) top.pop();
      }
    }
  }
  return { probability: sigmoid(z), top };
}

/** A term as people read it: "w:cut" → "cut", "b:we've cut" → "we've cut". */
export function displayTerm(term: string): string {
  return term.slice(term.indexOf(':') + 1);
}

/** The header fields of a model file, before its weights. */
export interface ModelFileHeader {
  format: string;
  citation: string;
  threshold: number;
  terms: number;
  sha256: string;
  [key: string]: unknown;
}

/**
 * Serialises a model as JSON: header fields (the citation among them), then `weights`, one string of
 * `term<TAB>weight` lines (compact, and diffs line by line), whose sha256 is in the header.
 */
export function formatModel(header: Record<string, string>, bias: number, weights: Array<[string, number]>, threshold: number): string {
  const body = [`__bias__\t${bias.toFixed(6)}`, ...weights.map(([t, w]) => `${t}\t${w.toFixed(4)}`)].join('\n') + '\n';
  const sha256 = createHash('sha256').update(body, 'utf8').digest('hex');
  const file = { format: MODEL_FORMAT, ...header, threshold: Number(threshold.toFixed(4)), terms: weights.length, sha256, weights: body };
  return `${JSON.stringify(file, null, 1)}\n`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks and reads a model file (its text, or the parsed JSON); throws ModelFileError naming what is wrong (and the
 * line of the weights) for anything else. `source` names the file in the message.
 */
export function parseModel(file: unknown, source: string): CheckworthinessModel {
  let json: unknown = file;
  if (typeof file === 'string') {
    try {
      json = JSON.parse(file);
    } catch (err) {
      throw new ModelFileError(source, `it is not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (!isRecord(json)) throw new ModelFileError(source, 'it is not a JSON object');
  if (json.format !== MODEL_FORMAT) throw new ModelFileError(source, `its format is ${JSON.stringify(json.format)}, expected "${MODEL_FORMAT}"`);
  const body = json.weights;
  if (typeof body !== 'string') throw new ModelFileError(source, 'it has no weights');
  const sha = createHash('sha256').update(body, 'utf8').digest('hex');
  if (json.sha256 !== sha) throw new ModelFileError(source, 'the weights do not match the sha256 in the header (file damaged or edited by hand)');
  const threshold = json.threshold;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) throw new ModelFileError(source, `header threshold ${JSON.stringify(threshold)} is not a number between 0 and 1`);
  const weights = new Map<string, number>();
  let bias: number | null = null;
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const tab = line.lastIndexOf('\t');
    const value = tab > 0 ? Number(line.slice(tab + 1)) : Number.NaN;
    if (!Number.isFinite(value)) throw new ModelFileError(source, `weights line ${i + 1} is not "term<TAB>weight"`);
    const term = line.slice(0, tab);
    if (term === '__bias__') bias = value;
    else weights.set(term, value);
  }
  if (bias === null) throw new ModelFileError(source, 'it has no __bias__ line');
  if (json.terms !== weights.size) throw new ModelFileError(source, `the header says ${String(json.terms)} terms but the weights have ${weights.size}`);
  const header: Record<string, string> = {};
  for (const [k, v] of Object.entries(json)) if (k !== 'weights') header[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return { header, bias, weights, threshold };
}

let cached: CheckworthinessModel | null = null;

/** The committed model, checked and indexed on first use (tens of ms) and kept. */
export function defaultModel(): CheckworthinessModel {
  cached ??= parseModel(committedModel, MODEL_FILE);
  return cached;
}
