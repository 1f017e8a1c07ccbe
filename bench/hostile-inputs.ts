// Text shaped to make pattern matching slow: what anyone who can submit an article could send. Shared by the
// hostile-input tests (which require every shape to finish with exact spans) and bench/hostile.bench.ts (which
// shows the cost stays linear in the size, as a ratio to plain sentence splitting of prose of the same size).

/** Repeats `unit` to about `bytes` UTF-16 code units, never cutting a surrogate pair. */
function fill(unit: string, bytes: number, prefix = '', suffix = ''): string {
  return prefix + unit.repeat(Math.max(1, Math.floor((bytes - prefix.length - suffix.length) / unit.length))) + suffix;
}

export interface HostileInput {
  name: string;
  /** Which pattern or library it once made slow, or the family of attack it stands for. */
  why: string;
  make: (size: number) => string;
  /** Size the tests use when not the default: kept small where the input is slow only by being many blocks. */
  testBytes?: number;
  /** How the text is read: the transcript shapes go through the transcript reader (speaker labels, stage directions). */
  kind?: 'news' | 'transcript' | 'auto';
}

export const HOSTILE_INPUTS: HostileInput[] = [
  { name: 'byline-shaped line', why: 'the byline pattern: "Ab Cd, AAAA…" with no full stop took over 100 s at 600 characters', make: (n) => fill('A', n, 'Ab Cd, ') },
  { name: 'capitalised words', why: 'name patterns over long runs of capitalised words', make: (n) => fill('Ab ', n) },
  { name: 'capitalised words and commas', why: 'byline and claimant patterns with optional separators', make: (n) => fill('Ab Cd, ', n) },
  { name: 'capital-apostrophe run', why: 'the name-said pattern tried at every apostrophe, and the tokenizer e-mail rule', make: (n) => fill("A'", n) },
  { name: 'lower-case apostrophe run', why: "the tokenizer's e-mail rule on one long word", make: (n) => fill("a'", n) },
  { name: 'quote run', why: 'quoted-speech and quote-opening patterns', make: (n) => fill('"', n) },
  { name: 'curly quotes', why: 'quoted-speech pattern with unbalanced curly quotes', make: (n) => fill('“a ”', n) },
  { name: 'initials run', why: 'names with full stops ("A.A.A.") and one block of very many sentences', make: (n) => fill('A.', n) },
  { name: 'hyphen run', why: 'hyphenated names and the tokenizer', make: (n) => fill('A-', n) },
  { name: 'one long word', why: 'the tokenizer on a run with no whitespace', make: (n) => fill('AB', n) },
  { name: '1 MB line of prose words', why: 'one sentence with no full stop the size of the input limit', make: (n) => fill('word ', n), testBytes: 1024 * 1024 },
  { name: 'deep nesting', why: 'brackets nested thousands deep', make: (n) => fill('(', Math.floor(n / 2)) + fill(')', Math.floor(n / 2)) },
  { name: 'bracket run', why: 'unclosed brackets', make: (n) => fill('[a ', n) },
  { name: 'digits and commas', why: 'number parsing with thousands separators', make: (n) => fill('1,000,', n) },
  { name: 'digits and spaces', why: 'numbers grouped with spaces', make: (n) => fill('1 000 ', n) },
  { name: 'mixed scripts', why: 'Greek, Cyrillic, CJK, Arabic, emoji and combining marks', make: (n) => fill('Αβγ Абв 中文 العربية 😀 e\u0301 ', n) },
  { name: 'titles run', why: 'the title alternatives of the name patterns', make: (n) => fill('Mr ', n) },
  { name: 'speech verbs', why: 'said-name and name-said patterns', make: (n) => fill('said ', n) },
  { name: 'according to run', why: 'the according-to pattern', make: (n) => fill('according to ', n) },
  { name: 'role phrases', why: 'the common-noun speaker pattern', make: (n) => fill('the minister of the ', n) },
  { name: 'many short lines', why: 'one block per line', make: (n) => fill('A\n', n), testBytes: 64 * 1024 },
  // Transcripts: speaker labels, timestamps, stage directions and interruption marks.
  { name: 'speaker turns', why: 'one turn per line, auto-detected as a transcript', make: (n) => fill('AB: cd\nEF: gh\n', n), testBytes: 64 * 1024 },
  { name: 'one long upper-case label', why: 'the speaker-label pattern on a line of capitals with no colon in reach', make: (n) => fill('A', n, '', ': x'), kind: 'transcript' },
  { name: 'capitalised words before a colon', why: 'the mixed-case label alternative', make: (n) => fill('Ab ', n, '', ': x'), kind: 'transcript' },
  { name: 'stage direction run', why: 'the stage-direction pattern, one match after another', make: (n) => fill('(APPLAUSE) ', n), kind: 'transcript' },
  { name: 'unclosed stage directions', why: 'the stage-direction pattern with no closing bracket', make: (n) => fill('[CROSSTALK ', n), kind: 'transcript' },
  { name: 'timestamp run', why: 'the timestamp pattern', make: (n) => fill('[00:12:34]', n), kind: 'transcript' },
  { name: 'interruption marks', why: 'dash and ellipsis masking', make: (n) => fill('we cut -- ... it… ', n), kind: 'transcript' },
  { name: 'one turn over many lines', why: 'a turn that goes on for thousands of lines', make: (n) => fill('and b\n', n, 'MODERATOR: a\n'), kind: 'transcript', testBytes: 64 * 1024 },
];

/** Prose of the same size, for the baseline: the demo article repeated. */
export function proseOfSize(article: string, size: number): string {
  return fill(`${article}\n\n`, size);
}
