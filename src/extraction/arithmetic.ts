import type { ArithmeticCheck, Quantity } from './types.ts';
import { QUANTITY_UNITS, statedDecimals } from './quantities.ts';

interface Placed {
  q: Quantity;
  start: number;
  end: number;
}

const FALL = /\b(?:fell|fall|falls|falling|fallen|drop|dropped|drops|decline|declined|declines|decrease|decreased|down|cut|cuts|reduced|reduction|lower|shrank|shrunk|slumped|plunged|plummeted|halved|sank|dipped)\b/i;
const RISE = /\b(?:rose|rise|rises|rising|risen|increase|increased|increases|up|grew|grow|growth|jump|jumped|climbed|climb|surged|soared|higher|gain|gained|doubled|tripled|trebled|quadrupled)\b/i;

/**
 * A check relates figures within this many places of each other in the claim. Without the bound a sentence
 * packed with figures paired each with every other one (hours on a 1 MB input).
 */
const NEAR = 12;

const CHANGE_AMOUNT = /\b(?:increase|rise|fall|drop|decrease|cut|reduction|jump|gain|loss|growth|decline|up|down|by)\s+(?:of\s+)?(?:about\s+|around\s+|some\s+|nearly\s+|almost\s+|more than\s+)?$/i;

/** Half of the last printed digit of a whole number ending in zeros: "3,000" may stand for 2,950. */
function roundingSlack(q: Quantity): number {
  const digits = /(\d[\d,]*)(?:\.\d+)?/.exec(q.text)?.[1]?.replace(/,/g, '') ?? '';
  if (q.text.includes('.') || !/0+$/.test(digits) || /\b(?:bn|m|k|million|billion|thousand|trillion)\b/i.test(q.text)) return 0;
  const zeros = /0+$/.exec(digits)?.[0].length ?? 0;
  return Math.max(0, 0.5 * 10 ** Math.min(zeros, digits.length - 1) - 0.5);
}

type Hedge = 'exact' | 'about' | 'over' | 'under' | 'almost';

function hedgeBefore(text: string, at: number): Hedge {
  const before = text.slice(Math.max(0, at - 24), at).toLowerCase();
  if (/(?:more than|over|above|at least|upwards of)\s+$/.test(before)) return 'over';
  if (/(?:less than|fewer than|under|below|at most|up to)\s+$/.test(before)) return 'under';
  if (/(?:almost|nearly|just under|close to|not quite)\s+$/.test(before)) return 'almost';
  if (/(?:about|around|roughly|some|approximately|an estimated|estimated|circa|c\.|~)\s+$/.test(before)) return 'about';
  return 'exact';
}

// Hand-rolled rather than toLocaleString: Intl formatting dominated the extraction profile.
function groupThousands(n: number, digits: number): string {
  const fixed = Math.abs(n).toFixed(digits);
  const [whole = '0', fraction = ''] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const trimmed = fraction.replace(/0+$/, '');
  const sign = n < 0 && Number(fixed) !== 0 ? '-' : '';
  return `${sign}${grouped}${trimmed ? `.${trimmed}` : ''}`;
}

export function formatPercent(n: number): string {
  return `${groupThousands(n, 2)}%`;
}

export function formatNumber(n: number): string {
  const abs = Math.abs(n);
  return groupThousands(n, abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
}

/**
 * Does `actual` round to what the writer stated? A journalist rounds to the digits they print
 * (36.25 → "36 per cent"), and hedges ("nearly", "more than") loosen or direct the comparison.
 */
function matchesStated(actual: number, stated: number, decimals: number, hedge: Hedge, looseness = 0): boolean {
  // Large figures are rounded to two or three significant figures: 179.5% is fairly "180 per cent".
  const half = Math.max(0.5 * 10 ** -decimals, Math.abs(stated) * 0.005) + 1e-9 + looseness;
  switch (hedge) {
    case 'exact':
      return Math.abs(actual - stated) <= half;
    case 'about':
      return Math.abs(actual - stated) <= Math.max(half, Math.abs(stated) * 0.05, 1);
    case 'over':
      return actual >= stated - half;
    case 'under':
      return actual <= stated + half;
    case 'almost':
      return actual <= stated + half && actual >= stated - Math.max(half, Math.abs(stated) * 0.1, 2);
  }
}

function hedgeWords(h: Hedge): string {
  return h === 'exact' ? '' : ` (hedged: ${h})`;
}

/** Locate each quantity's text in the claim, in order, so relations like "from X to Y" can be read. */
function place(text: string, quantities: Quantity[]): Placed[] {
  const placed: Placed[] = [];
  let cursor = 0;
  for (const q of quantities) {
    let at = text.indexOf(q.text, cursor);
    if (at === -1) at = text.indexOf(q.text);
    if (at === -1) continue;
    placed.push({ q, start: at, end: at + q.text.length });
    cursor = at + q.text.length;
  }
  return placed.sort((a, b) => a.start - b.start);
}

function sameFamily(a: Quantity, b: Quantity): boolean {
  if (QUANTITY_UNITS.isPercent(a) || QUANTITY_UNITS.isPercent(b)) return a.unit === 'percent' && b.unit === 'percent';
  if (!QUANTITY_UNITS.isCount(a) || !QUANTITY_UNITS.isCount(b)) return false;
  if (QUANTITY_UNITS.isCurrency(a) || QUANTITY_UNITS.isCurrency(b)) return a.unit === b.unit || a.unit === null || b.unit === null;
  return true;
}

interface Change {
  from: Placed;
  to: Placed;
}

function findChanges(text: string, placed: Placed[]): Change[] {
  const changes: Change[] = [];
  for (let i = 0; i < placed.length; i++) {
    const a = placed[i];
    if (!a) continue;
    for (let j = i + 1; j < placed.length && j <= i + 2; j++) {
      const b = placed[j];
      if (!b || !sameFamily(a.q, b.q)) continue;
      const between = text.slice(a.end, b.start);
      const before = text.slice(Math.max(0, a.start - 30), a.start);
      // "from X to Y" (a date may sit in between: "from 50 in 2019 to 40")
      if (/\bfrom\s+(?:an?\s+|about\s+|around\s+|some\s+)?$/i.test(before) && /^[^.;]{0,40}?\bto\s+(?:about\s+|around\s+|some\s+|just\s+)?$/i.test(between) && !/\bfrom\b/i.test(between)) {
        changes.push({ from: a, to: b });
        break;
      }
      // "to Y from X", "Y, up from X"
      if (
        (/\bto\s+(?:about\s+|around\s+|some\s+|just\s+)?$/i.test(before) && /^[^.;]{0,30}?\bfrom\s+(?:about\s+|around\s+|some\s+)?$/i.test(between)) ||
        /^(?:\s+[\w'’-]+){0,6},?\s+(?:up|down)\s+from\s+(?:about\s+|around\s+|some\s+)?$/i.test(between)
      ) {
        changes.push({ from: b, to: a });
        break;
      }
    }
  }
  return changes;
}

function checkChange(text: string, change: Change, stated: Placed[], checks: ArithmeticCheck[]): void {
  const x = change.from.q.value;
  const y = change.to.q.value;
  const diff = y - x;
  const bothPercent = change.from.q.unit === 'percent' && change.to.q.unit === 'percent';
  const fromTo = `from ${change.from.q.text} to ${change.to.q.text}`;
  const relative = x === 0 ? null : (diff / x) * 100;
  const relText = relative === null ? 'undefined (the starting figure is zero)' : formatPercent(Math.abs(relative));
  const direction = diff < 0 ? 'fall' : diff > 0 ? 'rise' : 'no change';

  const window = text.slice(Math.max(0, change.from.start - 60), Math.min(text.length, change.to.end + 60));
  const saysFall = FALL.test(window);
  const saysRise = RISE.test(window);
  if ((saysFall && !saysRise && diff > 0) || (saysRise && !saysFall && diff < 0)) {
    checks.push({
      type: 'arithmetic',
      status: 'inconsistent',
      detail: `the text describes a ${saysFall ? 'fall' : 'rise'}, but ${fromTo} is a ${direction}`,
    });
  }

  for (const s of stated) {
    const q = s.q;
    const hedge = hedgeBefore(text, s.start);
    const decimals = statedDecimals(q);
    if (q.unit === 'percentage_points') {
      if (!bothPercent) {
        checks.push({ type: 'arithmetic', status: 'unknown', detail: `${q.text} is stated for a change ${fromTo}, but those figures are not percentages` });
        continue;
      }
      const ok = matchesStated(Math.abs(diff), q.value, decimals, hedge);
      checks.push({
        type: 'arithmetic',
        status: ok ? 'consistent' : 'inconsistent',
        detail: `${fromTo} is a ${direction} of ${formatNumber(Math.abs(diff))} percentage points; the text states ${q.text}${hedgeWords(hedge)}`,
      });
    } else if (q.unit === 'percent') {
      if (relative === null) {
        checks.push({ type: 'arithmetic', status: 'unknown', detail: `a change of ${q.text} cannot be computed ${fromTo}: the starting figure is zero` });
        continue;
      }
      const ok = matchesStated(Math.abs(relative), q.value, decimals, hedge);
      let detail = `${fromTo} is a ${direction} of ${formatNumber(Math.abs(diff))}, or ${relText}; the text states ${q.text}${hedgeWords(hedge)}`;
      if (!ok && bothPercent && matchesStated(Math.abs(diff), q.value, decimals, hedge)) {
        detail += `, which is the difference in percentage points, not a change in per cent`;
      }
      checks.push({ type: 'arithmetic', status: ok ? 'consistent' : 'inconsistent', detail });
    } else if (QUANTITY_UNITS.isCount(q)) {
      // An absolute change ("an increase of £160") is rounded to the precision the writer printed.
      const ok = matchesStated(Math.abs(diff), q.value, decimals, hedge, roundingSlack(q));
      checks.push({
        type: 'arithmetic',
        status: ok ? 'consistent' : 'inconsistent',
        detail: `${fromTo} is a ${direction} of ${formatNumber(Math.abs(diff))}; the text states ${q.text}${hedgeWords(hedge)}`,
      });
    } else if (q.unit === 'multiplier') {
      if (x === 0) {
        checks.push({ type: 'arithmetic', status: 'unknown', detail: `"${q.text}" cannot be tested ${fromTo}: the starting figure is zero` });
        continue;
      }
      const ratio = y / x;
      // "doubled" is fair for roughly 1.9x-2.1x; hedged wording gets more room.
      const tolerance = hedge === 'exact' ? 0.05 : 0.15;
      const ok = hedge === 'over' ? ratio >= q.value * (1 - 0.05) : hedge === 'almost' ? ratio <= q.value * 1.02 && ratio >= q.value * 0.8 : Math.abs(ratio / q.value - 1) <= tolerance;
      checks.push({
        type: 'arithmetic',
        status: ok ? 'consistent' : 'inconsistent',
        detail: `${fromTo} is ${formatNumber(ratio)} times the starting figure; the text says "${q.text}" (${formatNumber(q.value)}x)${hedgeWords(hedge)}`,
      });
    }
  }
}

/** The first unused count after the share joined to it by "of" and at most 60 characters: "36 per cent of its capacity of 40,000". */
function wholeAfter(text: string, placed: Placed[], at: number, used: Set<Placed>): { whole: Placed; index: number } | null {
  const share = placed[at];
  if (!share) return null;
  for (let j = at + 1; j < placed.length; j++) {
    const p = placed[j];
    if (!p || p.start < share.end) continue;
    const gap = text.slice(share.end, p.start);
    // "of" plus 60 characters at most: every later figure is further away still.
    if (gap.trimStart().length > 62) return null;
    if (QUANTITY_UNITS.isCount(p.q) && !used.has(p) && /^\s+of\b[^.;:\d]{0,60}$/i.test(gap)) return { whole: p, index: j };
  }
  return null;
}

function checkShares(text: string, placed: Placed[], used: Set<Placed>, checks: ArithmeticCheck[]): void {
  for (let at = 0; at < placed.length; at++) {
    const share = placed[at];
    if (!share || used.has(share)) continue;
    const isShare = share.q.unit === 'percent' || share.q.unit === 'fraction';
    if (!isShare) continue;
    const found = wholeAfter(text, placed, at, used);
    if (!found) {
      checkTrailingShare(text, share, placed.slice(Math.max(0, at - NEAR), at), used, checks);
      continue;
    }
    const whole = found.whole;
    const parts = placed.slice(Math.max(0, at - NEAR), found.index + NEAR + 1).filter(
      (p) => p !== whole && p !== share && !used.has(p) && QUANTITY_UNITS.isCount(p.q) && sameFamily(p.q, whole.q) && p.q.value <= whole.q.value * 1.5,
    );
    // The part is the nearest figure before the share, or one just after the whole ("..., or 14,500").
    const part = parts.filter((p) => p.end <= share.start).pop() ?? parts.find((p) => p.start >= whole.end && /^(?:\s+[a-z]+){0,2}[\s,(]+(?:or|some|about|around|roughly|nearly|almost)?\s*$/i.test(text.slice(whole.end, p.start)));
    if (!part || whole.q.value === 0) continue;
    pushShareCheck(part, whole, share, text, used, checks);
  }
}

function pushShareCheck(part: Placed, whole: Placed, share: Placed, text: string, used: Set<Placed>, checks: ArithmeticCheck[]): void {
  const actual = (part.q.value / whole.q.value) * 100;
  const stated = share.q.unit === 'fraction' ? share.q.value * 100 : share.q.value;
  const hedge = hedgeBefore(text, share.start);
  // A fraction word is itself a rounding: "a third" covers roughly 31-36 per cent.
  const looseness = share.q.unit === 'fraction' ? 2.5 : 0;
  const ok = matchesStated(actual, stated, share.q.unit === 'fraction' ? 0 : statedDecimals(share.q), hedge, looseness);
  used.add(share);
  used.add(part);
  used.add(whole);
  checks.push({
    type: 'arithmetic',
    status: ok ? 'consistent' : 'inconsistent',
    detail: `${part.q.text} of ${whole.q.text} is ${formatPercent(actual)}; the text states ${share.q.text}${share.q.unit === 'fraction' ? ` (${formatPercent(stated)})` : ''}${hedgeWords(hedge)}`,
  });
}

/**
 * A share stated after its part and whole: "412 arrests, of whom 96 were charged, or 23 per cent",
 * "won 31 of her 46 matches, a win rate of 67 per cent".
 */
function checkTrailingShare(text: string, share: Placed, placedBefore: Placed[], used: Set<Placed>, checks: ArithmeticCheck[]): void {
  const lead = text.slice(Math.max(0, share.start - 40), share.start);
  if (!/(?:[,(]\s*(?:or|about|around|some|roughly|nearly|almost|just over|just under|representing|equivalent to|a [a-z -]*?(?:rate|share|proportion|percentage) of)?|\(\s*)\s*$/i.test(lead)) return;
  const before = placedBefore.filter((p) => p.end <= share.start && !used.has(p) && QUANTITY_UNITS.isCount(p.q));
  const near = before[before.length - 1];
  const far = before[before.length - 2];
  if (!near || !far || !sameFamily(near.q, far.q)) return;
  const between = text.slice(far.end, near.start);
  if (/^[^.;]{0,40}?\b(?:of|out of)\s+(?:its|their|the|his|her|our|all)?\s*$/i.test(between) && far.q.value <= near.q.value && near.q.value > 0) {
    pushShareCheck(far, near, share, text, used, checks);
  } else if (/\bof\s+(?:whom|which|them|these|those)\b/i.test(between) && near.q.value <= far.q.value && far.q.value > 0) {
    pushShareCheck(near, far, share, text, used, checks);
  }
}

/**
 * Internal consistency of the figures a claim states about itself: a share against its part and
 * whole, a stated change against its before and after, and halved/doubled against the figures.
 * Used on extracted claims and on claims typed in by hand.
 */
export function checkArithmetic(text: string, quantities: Quantity[]): ArithmeticCheck[] {
  const checks: ArithmeticCheck[] = [];
  if (typeof text !== 'string' || !Array.isArray(quantities) || quantities.length === 0) return checks;
  const placed = place(text, quantities);
  const used = new Set<Placed>();
  const changes = findChanges(text, placed);
  for (const change of changes) {
    used.add(change.from);
    used.add(change.to);
  }
  const indexOf = new Map(placed.map((p, i) => [p, i]));
  for (const change of changes) {
    // The stated change is the nearest percent/multiplier, or a same-unit amount introduced as a change, not itself an endpoint.
    const at = indexOf.get(change.to) ?? 0;
    const stated = placed
      .slice(Math.max(0, at - NEAR), at + NEAR + 1)
      .filter(
        (p) =>
          !used.has(p) &&
          (QUANTITY_UNITS.isPercent(p.q) ||
            p.q.unit === 'multiplier' ||
            (QUANTITY_UNITS.isCount(p.q) && sameFamily(p.q, change.to.q) && CHANGE_AMOUNT.test(text.slice(Math.max(0, p.start - 40), p.start)))),
      )
      .sort((a, b) => Math.abs(a.start - change.to.start) - Math.abs(b.start - change.to.start))
      .slice(0, 1);
    for (const s of stated) used.add(s);
    checkChange(text, change, stated, checks);
  }
  checkShares(text, placed, used, checks);
  if (changes.length === 0) {
    for (const m of placed.filter((p) => p.q.unit === 'multiplier' && !used.has(p))) {
      if (!/^(?:doubled|tripled|trebled|quadrupled|halved)$/i.test(m.q.text)) continue;
      checks.push({
        type: 'arithmetic',
        status: 'unknown',
        detail: `"${m.q.text}" is stated but the claim gives no before-and-after figures to test it against`,
      });
    }
  }
  return checks;
}
