import type { Quantity } from './types.ts';

/** A quantity plus where it sits in the text it was read from. */
export interface LocatedQuantity extends Quantity {
  start: number;
  end: number;
}

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6,
  jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9, oct: 10, october: 10,
  nov: 11, november: 11, dec: 12, december: 12,
};
const MONTH = '(?:Jan(?:uary|\\.)?|Feb(?:ruary|\\.)?|March|Mar\\.|April|Apr\\.|May|June|Jun\\.|July|Jul\\.|Aug(?:ust|\\.)?|Sept(?:ember|\\.)?|Sep\\.|Oct(?:ober|\\.)?|Nov(?:ember|\\.)?|Dec(?:ember|\\.)?)';

const SMALL: Record<string, number> = {
  two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90, hundred: 100,
  dozen: 12,
};
const NUMBER_WORD = '(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred|hundred|a dozen|dozen)';

const SCALE: Record<string, number> = {
  thousand: 1e3, k: 1e3, million: 1e6, m: 1e6, mn: 1e6, mln: 1e6, billion: 1e9, bn: 1e9, b: 1e9,
  trillion: 1e12, tn: 1e12, trn: 1e12,
};

const CURRENCY_SYMBOL: Record<string, string> = {
  $: 'USD', us$: 'USD', 'a$': 'AUD', 'c$': 'CAD', '£': 'GBP', '€': 'EUR', '¥': 'JPY', '₹': 'INR',
};
const CURRENCY_WORD: Record<string, string> = {
  dollar: 'USD', dollars: 'USD', pound: 'GBP', pounds: 'GBP', euro: 'EUR', euros: 'EUR', yen: 'JPY',
  rupees: 'INR', pesos: 'MXN',
};

const FRACTIONS: Record<string, number> = {
  half: 0.5, 'a half': 0.5, 'one half': 0.5, 'a third': 1 / 3, 'one third': 1 / 3, 'one-third': 1 / 3,
  'two thirds': 2 / 3, 'two-thirds': 2 / 3, 'a quarter': 0.25, 'one quarter': 0.25, 'three quarters': 0.75,
  'three-quarters': 0.75, 'a fifth': 0.2, 'one fifth': 0.2, 'a tenth': 0.1, 'one tenth': 0.1,
};
const MULTIPLIERS: Record<string, number> = {
  doubled: 2, doubling: 2, doubles: 2, double: 2, twice: 2, tripled: 3, trebled: 3, tripling: 3, triple: 3,
  quadrupled: 4, halved: 0.5, halving: 0.5,
};

// Words that follow a number without being what it counts.
const NOT_A_UNIT = new Set([
  'a', 'an', 'the', 'of', 'to', 'in', 'on', 'at', 'by', 'for', 'from', 'with', 'and', 'or', 'but', 'than', 'that',
  'this', 'these', 'those', 'was', 'were', 'is', 'are', 'be', 'been', 'had', 'has', 'have', 'per', 'as', 'it',
  'its', 'their', 'his', 'her', 'more', 'less', 'fewer', 'over', 'under', 'up', 'down', 'after', 'before', 'since',
  'during', 'when', 'which', 'who', 'while', 'so', 'not', 'out', 'into', 'about', 'between', 'against', 'last',
  'next', 'said', 'says', 'according', 'compared', 'percent', 'cent', 'years', 'year', 'minus', 'plus', 'alone',
  'each', 'apiece', 'respectively', 'will', 'would', 'could', 'can', 'may', 'might', 'then', 'there', 'if',
]);
const ADJECTIVES = new Set([
  'new', 'more', 'extra', 'additional', 'young', 'older', 'other', 'registered', 'full-time', 'part-time', 'active',
  'local', 'foreign', 'migrant', 'armed', 'former', 'recorded', 'confirmed', 'suspected', 'reported', 'unfilled',
]);

const MILLIONS_OF = /^(people|voters|homes|households|patients|users|children|adults|visitors|passengers|migrants|workers|jobs|tonnes|barrels|doses|vaccinations|residents|customers|viewers|subscribers|cases|tests|prescriptions|appointments|pupils|students|refugees|hectares|acres)$/;

const NUM = '\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?';

interface Candidate extends LocatedQuantity {
  priority: number;
}

function parseNumber(raw: string): number {
  return Number(raw.replace(/,/g, ''));
}

function scaleOf(word: string | undefined): number {
  return word ? (SCALE[word.toLowerCase()] ?? 1) : 1;
}

function decimalsOf(raw: string): number {
  const dot = raw.indexOf('.');
  return dot === -1 ? 0 : raw.length - dot - 1;
}

// Float noise from scaling (2.3 * 1e9) would make "2.3bn" print as 2299999999.9999995.
function tidy(value: number): number {
  return Number.parseFloat(value.toPrecision(12));
}

function countedNoun(text: string, from: number): string | null {
  const m = /^\s+([a-z][a-z-]*)(?:\s+([a-z][a-z-]*))?/.exec(text.slice(from, from + 60));
  if (!m?.[1]) return null;
  const first = m[1];
  if (NOT_A_UNIT.has(first)) return null;
  if (ADJECTIVES.has(first) && m[2] && !NOT_A_UNIT.has(m[2])) return m[2];
  return first;
}

function dateValue(year: number | null, month: number | null, day: number | null): number {
  return (year ?? 0) * 10000 + (month ?? 0) * 100 + (day ?? 0);
}

function monthNumber(word: string): number | null {
  return MONTHS[word.toLowerCase().replace(/\.$/, '')] ?? null;
}

// Compiled once: building these per sentence cost more than running them.
const DAYMONTH_RE = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(${MONTH})(?:,?\\s+(\\d{4}))?(?![\\w])`, 'g');
const MONTHDAY_RE = new RegExp(`\\b(${MONTH})\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s+(\\d{4}))?(?![\\w,.]\\d)(?!\\d)`, 'g');
const MONTHYEAR_RE = new RegExp(`\\b(${MONTH}),?\\s+(\\d{4})\\b`, 'g');
const BAREMONTH_RE = new RegExp(`\\b(?:in|of|since|by|until|till|from|to|during|last|next|this|early|late|mid-|end of|and|between)\\s+(${MONTH})(?![\\w])`, 'gi');
const MONEY_RE = new RegExp(`(US\\$|A\\$|C\\$|[$£€¥₹])\\s?(${NUM})(?:\\s?(thousand|million|billion|trillion|bn|mn|mln|tn|trn|m|k|b)\\b)?`, 'gi');
const MONEYWORD_RE = new RegExp(`\\b(${NUM})(?:\\s?(thousand|million|billion|trillion|bn|mn|m)\\b)?\\s+(dollars|pounds|euros|yen|rupees|pesos)\\b`, 'gi');
const PERCENT_RE = new RegExp(`\\b(${NUM})\\s?(%|per\\s?cent\\b|percent\\b|percentage points?\\b|pc\\b|pts?\\b(?=\\s))`, 'gi');
const WORDPERCENT_RE = new RegExp(`\\b(${NUMBER_WORD})\\s+(per\\s?cent|percent|percentage points?)\\b`, 'gi');
const RATE_RE = new RegExp(`\\b(${NUM})\\s+(per\\s+(?:${NUM}|thousand|million|capita|head|person|day|week|month|year|hour))\\b`, 'gi');
const ONEIN_RE = new RegExp(`\\b(one|1)\\s+in\\s+(${NUMBER_WORD}|\\d+)\\b`, 'gi');
const FRACTION_RE = /\b(?:(?:a|one|two|three)[ -](?:half|third|thirds|quarter|quarters|fifth|tenth)|half)\b/gi;
const MULTIPLIER_RE = /\b(?:doubled|doubling|doubles|double(?=\s+(?:the|that|what|its|their|his|her|in|since|from))|twice|tripled|trebled|tripling|quadrupled|halved|halving)\b/gi;
const TIMES_RE = new RegExp(`\\b(${NUMBER_WORD}|\\d+(?:\\.\\d+)?)\\s+times\\b`, 'gi');
const SHORTSCALE_RE = new RegExp(`(?<![\\w.,$£€¥₹/-])(${NUM})(m|km|kg|mph|cm|mm|ft|kmh|k)\\b`, 'g');
const PLAIN_RE = new RegExp(`(?<![\\w.,$£€¥₹/-])(${NUM})(?:\\s?(thousand|million|billion|trillion|bn|mn|tn)\\b)?(?![\\w]|[.,]\\d)`, 'gi');
const WORDNUMBER_RE = new RegExp(`\\b(${NUMBER_WORD})(?:-(one|two|three|four|five|six|seven|eight|nine))?(?:\\s+(thousand|million|billion))?\\b`, 'gi');
const ALL_PATTERNS = [DAYMONTH_RE, MONTHDAY_RE, MONTHYEAR_RE, BAREMONTH_RE, MONEY_RE, MONEYWORD_RE, PERCENT_RE, WORDPERCENT_RE, RATE_RE, ONEIN_RE, FRACTION_RE, MULTIPLIER_RE, TIMES_RE, SHORTSCALE_RE, PLAIN_RE, WORDNUMBER_RE];

function collect(text: string): Candidate[] {
  const out: Candidate[] = [];
  const push = (start: number, raw: string, value: number, unit: string | null, priority: number): void => {
    if (!Number.isFinite(value)) return;
    out.push({ text: raw, start, end: start + raw.length, value: tidy(value), unit, priority });
  };
  let m: RegExpExecArray | null;
  // The patterns are shared module-level /g regexes: start each scan from the beginning.
  for (const re of ALL_PATTERNS) re.lastIndex = 0;

  // Full and partial dates first, so "Jan. 5, 2024" is one quantity rather than a day and a year.
  while ((m = DAYMONTH_RE.exec(text))) {
    const month = monthNumber(m[2] ?? '');
    const day = Number(m[1]);
    if (month && day >= 1 && day <= 31) {
      push(m.index, m[0], dateValue(m[3] ? Number(m[3]) : null, month, day), 'date', 0);
    }
  }
  while ((m = MONTHDAY_RE.exec(text))) {
    const month = monthNumber(m[1] ?? '');
    const day = Number(m[2]);
    if (month && day >= 1 && day <= 31) {
      push(m.index, m[0], dateValue(m[3] ? Number(m[3]) : null, month, day), 'date', 0);
    }
  }
  while ((m = MONTHYEAR_RE.exec(text))) {
    push(m.index, m[0], dateValue(Number(m[2]), monthNumber(m[1] ?? ''), null), 'date', 1);
  }
  // A bare month only counts after a preposition; otherwise "May" and "March" are verbs.
  while ((m = BAREMONTH_RE.exec(text))) {
    const word = m[1] ?? '';
    if (!/^[A-Z]/.test(word)) continue;
    const start = m.index + m[0].length - word.length;
    push(start, word, dateValue(null, monthNumber(word), null), 'date', 2);
  }

  // Money: symbol before the number, optional scale word after.
  while ((m = MONEY_RE.exec(text))) {
    const unit = CURRENCY_SYMBOL[(m[1] ?? '').toLowerCase()] ?? null;
    push(m.index, m[0], parseNumber(m[2] ?? '') * scaleOf(m[3]), unit, 0);
  }
  while ((m = MONEYWORD_RE.exec(text))) {
    push(m.index, m[0], parseNumber(m[1] ?? '') * scaleOf(m[2]), CURRENCY_WORD[(m[3] ?? '').toLowerCase()] ?? null, 0);
  }

  // Percentages and percentage points.
  while ((m = PERCENT_RE.exec(text))) {
    const u = (m[2] ?? '').toLowerCase();
    const unit = u.startsWith('percentage') || u.startsWith('pt') ? 'percentage_points' : 'percent';
    push(m.index, m[0], parseNumber(m[1] ?? ''), unit, 0);
  }
  while ((m = WORDPERCENT_RE.exec(text))) {
    const unit = (m[2] ?? '').toLowerCase().startsWith('percentage') ? 'percentage_points' : 'percent';
    push(m.index, m[0], SMALL[(m[1] ?? '').toLowerCase().replace(/^a /, '')] ?? NaN, unit, 0);
  }

  // Rates: "38 per 100,000 people".
  while ((m = RATE_RE.exec(text))) {
    push(m.index, m[0], parseNumber(m[1] ?? ''), (m[2] ?? '').replace(/\s+/g, ' '), 1);
  }

  // Fractions and "one in five".
  while ((m = ONEIN_RE.exec(text))) {
    const d = m[2] ?? '';
    const denominator = /^\d/.test(d) ? Number(d) : (SMALL[d.toLowerCase()] ?? NaN);
    push(m.index, m[0], 1 / denominator, 'fraction', 0);
  }
  while ((m = FRACTION_RE.exec(text))) {
    const value = FRACTIONS[m[0].toLowerCase()];
    if (value !== undefined) push(m.index, m[0], value, 'fraction', 1);
  }
  while ((m = MULTIPLIER_RE.exec(text))) {
    push(m.index, m[0], MULTIPLIERS[m[0].toLowerCase()] ?? NaN, 'multiplier', 1);
  }
  while ((m = TIMES_RE.exec(text))) {
    const raw = m[1] ?? '';
    const value = /^\d/.test(raw) ? Number(raw) : (SMALL[raw.toLowerCase()] ?? NaN);
    push(m.index, m[0], value, 'multiplier', 0);
  }

  // "1.5m people" is millions; "100m sprint" is metres. Only a counted noun after it makes it millions.
  while ((m = SHORTSCALE_RE.exec(text))) {
    const raw = m[1] ?? '';
    const suffix = m[2] ?? '';
    const noun = countedNoun(text, m.index + m[0].length);
    if (suffix === 'm' && noun !== null && MILLIONS_OF.test(noun)) {
      push(m.index, m[0], parseNumber(raw) * 1e6, noun, 3);
    } else if (suffix === 'k') {
      push(m.index, m[0], parseNumber(raw) * 1e3, noun, 3);
    } else {
      push(m.index, m[0], parseNumber(raw), suffix, 3);
    }
  }

  // Plain numbers with an optional scale word ("2.5bn", "14,500", "3 million").
  while ((m = PLAIN_RE.exec(text))) {
    const raw = m[1] ?? '';
    const value = parseNumber(raw) * scaleOf(m[2]);
    const end = m.index + m[0].length;
    const isYear = !m[2] && /^\d{4}$/.test(raw) && value >= 1800 && value <= 2100;
    if (isYear) {
      const noun = countedNoun(text, end);
      const looksCounted = noun !== null && /^(people|homes|jobs|cases|beds|deaths|votes|staff|officers|prisoners|patients|students|pupils|troops|km|miles|metres)$/.test(noun);
      if (!looksCounted) {
        push(m.index, m[0], value, 'year', 3);
        continue;
      }
    }
    push(m.index, m[0], value, countedNoun(text, end), 4);
  }
  while ((m = WORDNUMBER_RE.exec(text))) {
    const units = m[2] ? (SMALL[m[2].toLowerCase()] ?? (m[2].toLowerCase() === 'one' ? 1 : NaN)) : 0;
    const base = (SMALL[(m[1] ?? '').toLowerCase().replace(/^a /, '')] ?? NaN) + units;
    push(m.index, m[0], base * scaleOf(m[3]), countedNoun(text, m.index + m[0].length), 5);
  }
  // Decades such as "the 1990s" are periods rather than counts, but fact-checkers still want them surfaced.
  return out;
}

/** Every quantity in the text, in order, without overlaps (the most specific reading of each stretch wins). */
export function extractQuantities(text: string): LocatedQuantity[] {
  const candidates = collect(text).sort(
    (a, b) => a.start - b.start || b.end - b.start - (a.end - a.start) || a.priority - b.priority,
  );
  // Prefer higher-priority (more specific) matches, then longer ones, when spans collide.
  const byPreference = [...candidates].sort(
    (a, b) => a.priority - b.priority || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  // Spans are a few characters long: marking the characters taken keeps this linear where comparing every
  // candidate with every kept one was quadratic on a sentence packed with figures.
  const occupied = new Uint8Array(text.length);
  const taken: Candidate[] = [];
  for (const c of byPreference) {
    if (occupied.subarray(c.start, c.end).includes(1)) continue;
    occupied.fill(1, c.start, c.end);
    taken.push(c);
  }
  taken.sort((a, b) => a.start - b.start);
  return taken.map(({ text: t, start, end, value, unit }) => ({ text: t, start, end, value, unit }));
}

/** Number of decimal places the writer used, which sets how precisely a figure was rounded. */
export function statedDecimals(q: Quantity): number {
  const m = /\d+(?:,\d{3})*(?:\.(\d+))?/.exec(q.text);
  return m?.[1] ? decimalsOf(m[0]) : 0;
}

export const QUANTITY_UNITS = {
  isPercent: (q: Quantity): boolean => q.unit === 'percent' || q.unit === 'percentage_points',
  isCount: (q: Quantity): boolean =>
    q.unit === null ||
    !['percent', 'percentage_points', 'year', 'date', 'fraction', 'multiplier'].includes(q.unit),
  isCurrency: (q: Quantity): boolean => q.unit !== null && /^[A-Z]{3}$/.test(q.unit),
};
