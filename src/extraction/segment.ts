import winkNLP from 'wink-nlp';
import type { WinkMethods } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

export interface Token {
  value: string;
  pos: string;
  start: number;
  end: number;
}

export interface Sentence {
  start: number;
  end: number;
  tokens: Token[];
  /** Index of the line/paragraph block the sentence came from. */
  block: number;
  /** True when this is the only sentence of its block and the block has no closing punctuation (headline, byline, caption, button text). */
  unterminatedBlock: boolean;
  /** Position of the sentence inside its block. */
  indexInBlock: number;
}

// The model takes ~100 ms to load; do it on first use so importing the module stays cheap.
let nlp: WinkMethods | null = null;
function getNlp(): WinkMethods {
  // sbd + pos only: NER, negation and sentiment cost half the time and we do not use them.
  nlp ??= winkNLP(model, ['sbd', 'pos']);
  return nlp;
}

export interface Block {
  start: number;
  end: number;
}

const TERMINAL = /[.!?…]["'”’)\]]*$/;

/**
 * Articles arrive as plain text where a newline marks a headline, byline, caption or paragraph
 * boundary. Hard-wrapped prose is the exception: a line that stops mid-sentence and continues in
 * lower case on the next line is joined back.
 */
export function splitBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lineRe = /[^\r\n]+/g;
  let current: Block | null = null;
  let previousEnd = 0;
  for (let m = lineRe.exec(text); m; m = lineRe.exec(text)) {
    let start = m.index;
    let end = m.index + m[0].length;
    while (start < end && /\s/.test(text[start] ?? '')) start++;
    while (end > start && /\s/.test(text[end - 1] ?? '')) end--;
    if (start === end) continue;
    const gap = text.slice(previousEnd, m.index);
    const singleBreak = (gap.match(/\n/g)?.length ?? 0) <= 1 && !/\r\n?\r/.test(gap);
    if (
      current &&
      singleBreak &&
      !TERMINAL.test(text.slice(current.start, current.end)) &&
      /^[a-z0-9(,;]/.test(text.slice(start, start + 1))
    ) {
      current.end = end;
    } else {
      current = { start, end };
      blocks.push(current);
    }
    previousEnd = m.index + m[0].length;
  }
  return blocks;
}

/**
 * The tokenizer's own patterns (its e-mail and abbreviation rules among them) take time quadratic in the length of a
 * run without whitespace: 16 kB of "A'A'A'…" took 6 s, 1 MB would take hours. No word, number or URL of prose comes
 * near MAX_RUN characters, so a longer run is cut for the tokenizer by turning one character in every MAX_RUN into a
 * space. The copy has the same length as the text, so every offset found in it is an offset into the text itself.
 */
export const MAX_RUN = 100;

export function breakLongRuns(text: string): string {
  if (!/\S{101}/.test(text)) return text;
  return text.replace(/\S{101,}/g, (run) => {
    const chars = [...run];
    // Spread over code points so no surrogate pair is cut in half; prefer a cut between two letters or digits,
    // where a space cannot be read as the end of a sentence.
    for (let i = MAX_RUN; i < chars.length; i += MAX_RUN) {
      let at = i;
      for (let j = i; j < Math.min(i + 16, chars.length); j++) {
        if (/[\p{L}\p{N}]/u.test(chars[j - 1] ?? '') && /[\p{L}\p{N}]/u.test(chars[j] ?? '')) {
          at = j;
          break;
        }
      }
      chars[at] = ' '.repeat((chars[at] ?? ' ').length);
    }
    return chars.join('');
  });
}

function segmentBlock(text: string, block: Block, blockIndex: number, out: Sentence[]): void {
  const w = getNlp();
  const its = w.its;
  const blockText = text.slice(block.start, block.end);
  const tokenized = breakLongRuns(blockText);
  const doc = w.readDoc(tokenized);
  const values = doc.tokens().out() as string[];
  const tags = doc.tokens().out(its.pos) as string[];
  const tokens: Token[] = [];
  let cursor = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? '';
    const at = tokenized.indexOf(value, cursor);
    // wink keeps token text verbatim; if a token ever cannot be found we keep the previous offset so spans stay in bounds.
    const s = at === -1 ? cursor : at;
    const e = at === -1 ? cursor : at + value.length;
    tokens.push({ value: blockText.slice(s, e), pos: tags[i] ?? 'X', start: block.start + s, end: block.start + e });
    cursor = e;
  }
  const spans = doc.sentences().out(its.span) as unknown as Array<[number, number]>;
  const terminated = TERMINAL.test(blockText);
  const first = out.length;
  for (const [a, b] of spans) {
    const sentTokens = tokens.slice(a, b + 1);
    const firstTok = sentTokens[0];
    const lastTok = sentTokens[sentTokens.length - 1];
    if (!firstTok || !lastTok || lastTok.end <= firstTok.start) continue;
    const previous = out.length > first ? out[out.length - 1] : undefined;
    // wink ends a sentence at a quoted question or exclamation; '"Where would I go?" she said.' is one sentence.
    if (previous && /^\p{Ll}/u.test(firstTok.value) && /[?!]["”’']$/.test(text.slice(previous.start, previous.end))) {
      previous.end = lastTok.end;
      previous.tokens.push(...sentTokens);
      continue;
    }
    out.push({
      start: firstTok.start,
      end: lastTok.end,
      tokens: sentTokens,
      block: blockIndex,
      unterminatedBlock: false,
      indexInBlock: out.length - first,
    });
  }
  if (out.length - first === 1 && !terminated) {
    const only = out[first];
    if (only) only.unterminatedBlock = true;
  }
}

/** Sentences in text order, each span trimmed and non-overlapping; `blocks` default to the article's lines and paragraphs. */
export function segmentSentences(text: string, blocks: Block[] = splitBlocks(text)): Sentence[] {
  const out: Sentence[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    if (block) segmentBlock(text, block, i, out);
  }
  return out;
}
