// Transcripts: "SPEAKER: text" turns, bracketed timestamps, stage directions, interruptions. The transcript is read into
// a masked copy of the same length (labels, timestamps, stage directions and interruption marks blanked to spaces, the
// line breaks inside a turn turned into spaces), so the sentence segmenter sees one block of running speech per turn
// and every offset it finds is an offset into the original text.
import type { Block } from './segment.ts';

export type ArticleKind = 'news' | 'transcript';
export type KindOption = ArticleKind | 'auto';
export const ARTICLE_KINDS = ['news', 'transcript'] as const;

export interface TranscriptLayout {
  /** The text with labels, timestamps, stage directions and interruption marks blanked; same length as the text. */
  masked: string;
  /** One block per turn (a turn may span lines). */
  blocks: Block[];
  /** The speaker of each block, as labelled (null for text before the first label). */
  speakers: Array<string | null>;
  /** Bracketed timestamps in text order: where each ends, and its value without the brackets. */
  timestamps: Array<{ at: number; value: string }>;
}

// All patterns below are anchored or bounded ({0,n}) and have no nested quantifiers: linear in the line's length.
const TIMESTAMP = /\[(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)\]/g;
// An upper-case label ("MODERATOR:", "SEN. WARREN:", "Q:") or one to four capitalised words, with an optional
// title ("Cllr Patel:", "Jane Smith:"), at the start of a line (after an optional timestamp), then a colon and a space.
const LABEL = /^[ \t]*(?:\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\][ \t]*)?([A-Z][A-Z0-9.'’ -]{0,39}|[A-Z][a-z.'’-]{0,20}(?: [A-Z][A-Za-z.'’-]{0,20}){0,3})[ \t]*:(?=[ \t]|$)/;
const UPPER_LABEL = /^[A-Z][A-Z0-9.'’ -]{0,39}$/;
const STAGE_WORDS =
  'applause|laughter|laughs|laughing|crosstalk|cross-talk|inaudible|unintelligible|indistinct|cheers|cheering|booing|boos|pause|pauses|music|silence|coughs?|interruption|interrupting|overlapping|overtalk|off mic|off-mic|recess|break|end of transcript|begin video clip|end video clip|video clip|commercial break|audio gap|technical difficulties';
// "(APPLAUSE)", "[CROSSTALK]", "(laughs)", "[inaudible 00:12]": all upper case, or a known direction.
const STAGE = new RegExp(`[([][ \\t]*(?:[A-Z][A-Z ,.'’-]{1,40}|(?:${STAGE_WORDS})(?:[ ,.:0-9a-z]{0,30}))[ \\t]*[)\\]]`, 'gi');
const STAGE_UPPER = /^[([][ \t]*[A-Z][A-Z ,.'’-]{1,40}[ \t]*[)\]]$/;
const STAGE_KNOWN = new RegExp(`^[([][ \\t]*(?:${STAGE_WORDS})`, 'i');
// Interruptions and trailing off: "--" anywhere, and "..." or "…" when the sentence goes on in lower case.
const DASHES = /-{2,}|[—–](?=[ \t]*(?:$|[\r\n]))/g;
const TRAIL = /(?:\.{3}|…)(?=[ \t]*[\p{Ll},;])/gu;

const NOT_SPEAKERS = new Set(['Note', 'Update', 'Editor', 'Warning', 'Source', 'Photo', 'Photograph', 'Caption', 'Related', 'Read more', 'Correction', 'Clarification', 'Video', 'Image', 'Listen', 'Watch', 'See also', 'Sources', 'Credit', 'Topics', 'Tags', 'Published', 'Updated', 'Posted', 'Share']);

interface Line {
  start: number;
  end: number;
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (;;) {
    let end = start;
    while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
    out.push({ start, end });
    if (end >= text.length) break;
    start = end + (text[end] === '\r' && text[end + 1] === '\n' ? 2 : 1);
  }
  return out;
}

function labelOf(line: string, explicit: boolean): { speaker: string; end: number } | null {
  const m = LABEL.exec(line);
  const speaker = m?.[1]?.trim();
  if (!m || !speaker) return null;
  // Mixed-case labels only count in a transcript said to be one; auto-detection trusts upper-case labels and
  // capitalised names, but never the "Note:" or "Update:" of an article.
  if (NOT_SPEAKERS.has(speaker)) return null;
  if (!explicit && !UPPER_LABEL.test(speaker) && !/ /.test(speaker)) return null;
  return { speaker, end: m[0].length };
}

/**
 * Whether text reads as a transcript: at least three lines open with a speaker label, from at least two speakers,
 * and labelled lines are at least a third of the lines that have text.
 */
export function looksLikeTranscript(text: string): boolean {
  let labelled = 0;
  let nonEmpty = 0;
  const speakers = new Set<string>();
  for (const l of lines(text)) {
    const line = text.slice(l.start, l.end);
    if (line.trim() === '') continue;
    nonEmpty++;
    const label = labelOf(line, false);
    if (label) {
      labelled++;
      if (speakers.size < 3) speakers.add(label.speaker.toUpperCase());
    }
  }
  return labelled >= 3 && speakers.size >= 2 && labelled * 3 >= nonEmpty;
}

export function resolveKind(text: string, kind: KindOption = 'auto'): ArticleKind {
  if (kind !== 'auto') return kind;
  return looksLikeTranscript(text) ? 'transcript' : 'news';
}

function isStageDirection(s: string): boolean {
  return STAGE_UPPER.test(s) || STAGE_KNOWN.test(s);
}

export function parseTranscript(text: string): TranscriptLayout {
  const chars = text.split('');
  const blank = (from: number, to: number): void => {
    for (let i = from; i < to; i++) if (chars[i] !== '\n' && chars[i] !== '\r') chars[i] = ' ';
  };
  const timestamps: Array<{ at: number; value: string }> = [];
  for (const m of text.matchAll(TIMESTAMP)) {
    timestamps.push({ at: m.index + m[0].length, value: m[1] ?? '' });
    blank(m.index, m.index + m[0].length);
  }
  for (const m of text.matchAll(STAGE)) if (isStageDirection(m[0])) blank(m.index, m.index + m[0].length);
  for (const m of text.matchAll(DASHES)) blank(m.index, m.index + m[0].length);
  for (const m of text.matchAll(TRAIL)) blank(m.index, m.index + m[0].length);

  const blocks: Block[] = [];
  const speakers: Array<string | null> = [];
  let current: { block: Block; speaker: string | null } | null = null;
  for (const l of lines(text)) {
    const label = labelOf(text.slice(l.start, l.end), true);
    let contentStart = l.start;
    if (label) {
      blank(l.start, l.start + label.end);
      contentStart = l.start + label.end;
      current = null;
    }
    // The line's text after masking: empty lines and lines of nothing but stage directions add nothing.
    let s = contentStart;
    let e = l.end;
    while (s < e && /\s/.test(chars[s] ?? '')) s++;
    while (e > s && /\s/.test(chars[e - 1] ?? '')) e--;
    if (label && (current === null || s < e)) {
      current = { block: { start: s, end: s }, speaker: label.speaker };
    }
    if (s === e) continue;
    if (current === null) current = { block: { start: s, end: s }, speaker: null };
    if (current.block.end === current.block.start) {
      current.block.start = s;
      blocks.push(current.block);
      speakers.push(current.speaker);
    } else {
      // The turn goes on: the line break between its lines becomes a space, so it is one run of speech.
      for (let i = current.block.end; i < s; i++) if (chars[i] === '\n' || chars[i] === '\r') chars[i] = ' ';
    }
    current.block.end = e;
  }
  return { masked: chars.join(''), blocks, speakers, timestamps };
}

/** The last timestamp that ends before `offset`, or null. */
export function timestampAt(layout: TranscriptLayout, offset: number): string | null {
  let lo = 0;
  let hi = layout.timestamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((layout.timestamps[mid]?.at ?? 0) <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? null : (layout.timestamps[lo - 1]?.value ?? null);
}
