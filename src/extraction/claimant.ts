const SPEECH = '(?:said|says|told|added|stated|claimed|argued|insisted|warned|announced|estimated|reported|wrote|explained|confirmed|noted|acknowledged|admitted|boasted|tweeted|posted)';
const TITLE = '(?:Mr|Mrs|Ms|Dr|Prof|Sir|Dame|Lord|Lady|President|Prime Minister|Minister|Justice Minister|Secretary|Senator|Sen\\.|Rep\\.|Governor|Gov\\.|Mayor|Councillor|Cllr|Chief Constable|Commissioner|Judge|Coach|Captain|Inspector|Superintendent|Detective|General|Gen\\.|Col\\.)';
// A proper name: capitalised words, allowing lower-case joiners inside ("Ministry of Justice", "Nayib Bukele").
// Words are at most WORD characters: the patterns below are tried at every punctuation mark, and an unbounded word
// made runs such as "A'A'A'…" or "A.A.A.…" cost time quadratic in their length.
const WORD = `[A-Z][\\p{L}'’.-]{0,39}`;
const NAME = `(?:${TITLE}\\.?\\s+)?${WORD}(?:\\s+(?:(?:of|for|and|de|del|la|van|von|al|the|on)(?:\\s+the)?\\s+)?${WORD}){0,5}`;
// A common-noun speaker: "the minister", "officials", "a spokesperson for the council".
const ROLE = `(?:[Tt]he\\s+|[Aa]\\s+|[Aa]n\\s+|[Ii]ts\\s+|[Tt]heir\\s+)?(?:[a-z]{1,30}\\s+){0,2}(?:minister|ministry|spokesperson|spokesman|spokeswoman|officials?|police|department|government|council|report|study|researchers|authors|agency|office|survey|figures|data|statistics|analysis|court|prosecutors|inquiry|review|commission|regulator|union|company|hospital|trust|board|club|manager|coach|chief|secretary|leader|president|mayor|judge|experts?|scientists?|economists?|analysts?|campaigners|critics|opponents|residents|inspectors|auditors)\\b(?:\\s+(?:of|for|at)\\s+(?:the\\s+)?${WORD}(?:\\s+(?:(?:of|for|and|the)\\s+)?${WORD}){0,4})?`;

const PRONOUN = /^(?:he|she|they|it|we|i)$/i;

const ACCORDING = new RegExp(`\\b[Aa]ccording to\\s+(?:(?:new\\s+|official\\s+|latest\\s+|the\\s+latest\\s+)?(?:figures|data|statistics|estimates|a report|a study|an analysis|a survey|records|documents)\\s+(?:from|by|published by|released by|compiled by|of)\\s+)?((?:the\\s+)?${NAME}|${ROLE})`, 'u');
const NAME_SAID = new RegExp(`(?:^|[,.;:"”'’]\\s*|\\s)((?:the\\s+)?${NAME}|${ROLE})(?:,\\s+[^,"“”]{2,80},)?\\s+(?:has\\s+|had\\s+|have\\s+)?${SPEECH}\\b`, 'u');
const SAID_NAME = new RegExp(`[,"”'’]\\s*${SPEECH}\\s+((?:the\\s+)?${NAME}|${ROLE})`, 'u');
const PRONOUN_SAID = /(?:^|[,"”'’]\s*|\s)(he|she|they|it|we)\s+(?:also\s+|later\s+|previously\s+|then\s+)?(?:has\s+|had\s+)?(?:said|says|told|added|argued|insisted|warned|stated|claimed)\b/i;
const SAID_PRONOUN = /[,"”'’]\s*(?:said|says|added)\s+(he|she|they)\b/i;

const NOT_A_CLAIMANT = /^(?:The|This|That|It|There|But|And|In|On|At|As|When|If|Last|Next|On Monday|A|An|Mr|Mrs|Ms|Dr)$/;

function tidyName(raw: string): string | null {
  // A full stop after a word of two or more lower-case letters ends the sentence; after an initial ("U.S.") it belongs to the name.
  let name = raw.trim().replace(/[,;:]$/, '').replace(/(\p{Ll}{2,})\.$/u, '$1');
  // A sentence-initial capital is not a name: "Officials said" is fine, "In March officials said" is not a speaker called "In March".
  name = name.replace(/^(?:But|And|However|Yet|So|Still|Meanwhile|Separately|Later|Earlier)\s+/, '');
  if (!name || NOT_A_CLAIMANT.test(name)) return null;
  if (name.split(/\s+/).length > 9) return null;
  return name;
}

/** Speaker named by the sentence itself, or a pronoun to resolve. */
export function findSpeaker(sentence: string): { name: string | null; pronoun: 'person' | 'other' | null } {
  const according = ACCORDING.exec(sentence);
  if (according?.[1]) {
    const name = tidyName(according[1]);
    if (name) return { name, pronoun: null };
  }
  const saidName = SAID_NAME.exec(sentence);
  if (saidName?.[1]) {
    const name = tidyName(saidName[1]);
    if (name) return { name, pronoun: null };
  }
  const nameSaid = NAME_SAID.exec(sentence);
  if (nameSaid?.[1]) {
    const name = tidyName(nameSaid[1]);
    if (name && !PRONOUN.test(name)) return { name, pronoun: null };
  }
  const pronoun = (PRONOUN_SAID.exec(sentence) ?? SAID_PRONOUN.exec(sentence))?.[1]?.toLowerCase();
  if (pronoun) return { name: null, pronoun: pronoun === 'he' || pronoun === 'she' ? 'person' : 'other' };
  return { name: null, pronoun: null };
}

const QUOTE_OPEN = /^["“‘']/;

export function isQuotedSpeech(sentence: string): boolean {
  const m = /["“]([^"”]{12,})["”]/.exec(sentence);
  return m !== null || (QUOTE_OPEN.test(sentence) && sentence.length > 20);
}

function isProperName(name: string): boolean {
  return /^[A-Z]/.test(name) || /^the\s+[A-Z]/.test(name);
}

const ORGANISATION = /\b(?:Department|Ministry|Office|Council|Police|Commission|Government|Agency|Bank|Trust|University|Association|Union|Committee|Court|Service|Statistics|Institute|Authority|Board|Group|Company|Chamber|Organi[sz]ation|Party|Parliament|Senate|Congress|Cristosal|Reuters|News)\b|^the\s/;
const PERSON_MENTION = new RegExp(`\\b(?:Mr|Mrs|Ms|Dr|Prof|Professor|Sir|Dame|President|Minister|Senator|Governor|Mayor|Councillor|Judge|Chief Constable)\\.?\\s+[A-Z][\\p{L}'’-]{1,39}(?:\\s+[A-Z][\\p{L}'’-]{1,39})?`, 'gu');

function looksLikePerson(name: string): boolean {
  return /^[A-Z]/.test(name) && !ORGANISATION.test(name);
}

/**
 * Resolves who made each sentence's claim: named in the sentence, a pronoun pointing back to the
 * last named person, or a quotation attributed in the next sentence ('"...". That is what Ms X said.').
 */
export function resolveClaimants(sentences: string[]): Array<string | null> {
  const found = sentences.map(findSpeaker);
  const result: Array<string | null> = [];
  // "he"/"she" point back to the last person named; "it"/"they" to the last named speaker of any kind.
  let lastPerson: string | null = null;
  let lastSpeaker: string | null = null;
  for (let i = 0; i < sentences.length; i++) {
    const f = found[i];
    const sentence = sentences[i] ?? '';
    let claimant: string | null = null;
    if (f?.name) {
      claimant = f.name;
    } else if (f?.pronoun) {
      claimant = f.pronoun === 'person' ? lastPerson : lastSpeaker;
    } else if (isQuotedSpeech(sentence)) {
      const next = found[i + 1];
      const nextSentence = sentences[i + 1] ?? '';
      const prev = sentences[i - 1] ?? '';
      // Quoted speech is attributed by the next sentence when it continues the quote or opens with the speaker.
      if (next?.name && (QUOTE_OPEN.test(nextSentence) || /^[^"“]{0,60}\b(?:said|says|added)\b/.test(nextSentence))) claimant = next.name;
      else if (next?.pronoun) claimant = next.pronoun === 'person' ? lastPerson : lastSpeaker;
      // A run of quotations continues the previous speaker; so does a quote introduced by "X said:".
      else if (/:\s*["“]?$/.test(prev) || isQuotedSpeech(prev)) claimant = result[i - 1] ?? null;
    }
    result.push(claimant);
    if (claimant && isProperName(claimant)) {
      lastSpeaker = claimant;
      if (looksLikePerson(claimant)) lastPerson = claimant;
    }
    // A person introduced without speaking ("Mr Alas rejected the criticism.") is who a later "he said" means.
    const mentions = [...sentence.matchAll(PERSON_MENTION)];
    const lastMention = mentions[mentions.length - 1];
    if (lastMention && (!claimant || !looksLikePerson(claimant))) lastPerson = lastMention[0];
  }
  return result;
}
