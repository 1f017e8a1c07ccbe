import { describe, expect, it } from 'vitest';
import { checkArithmetic, extractClaims, extractQuantities, ExtractionInputError, MAX_INPUT_BYTES } from '../../../src/extraction/index.ts';
import type { ExtractedClaim } from '../../../src/extraction/index.ts';

function claimFor(text: string, fragment: string, options = {}): ExtractedClaim {
  const claim = extractClaims(text, options).find((c) => c.text.includes(fragment));
  if (!claim) throw new Error(`no claim containing "${fragment}" in ${JSON.stringify(extractClaims(text, { includeBelowThreshold: true }).map((c) => [c.text, c.score, c.features]))}`);
  return claim;
}

describe('extractClaims: shape', () => {
  it('returns the API.md fields with exact spans', () => {
    const text = 'Council tax rose by 4.99% in April, the council said. It was a lovely day.';
    const claims = extractClaims(text);
    expect(claims).toHaveLength(1);
    const [claim] = claims;
    expect(claim).toMatchObject({
      text: 'Council tax rose by 4.99% in April, the council said.',
      start: 0,
      kind: 'comparison',
      claimant: 'the council',
      quantities: [{ text: '4.99%', value: 4.99, unit: 'percent' }, { text: 'April', value: 400, unit: 'date' }],
      checks: [],
    });
    expect(claim?.text).toBe(text.slice(claim?.start, claim?.end));
    expect(claim?.score).toBeGreaterThanOrEqual(0.5);
    expect(claim?.score).toBeLessThanOrEqual(1);
    expect(claim?.features).toEqual(expect.arrayContaining(['percentage', 'attribution']));
  });

  it('returns an empty list for empty or whitespace input', () => {
    expect(extractClaims('')).toEqual([]);
    expect(extractClaims('  \n\t \r\n ')).toEqual([]);
  });

  it('honours the threshold and can return sentences below it', () => {
    const text = 'Police arrested 14 people on Friday. I think that is a shame.';
    expect(extractClaims(text)).toHaveLength(1);
    expect(extractClaims(text, { threshold: 0 })).toHaveLength(2);
    expect(extractClaims(text, { threshold: 1.01 })).toHaveLength(0);
    const all = extractClaims(text, { includeBelowThreshold: true });
    expect(all.map((c) => c.text)).toEqual(['Police arrested 14 people on Friday.', 'I think that is a shame.']);
    expect(all[1]?.features).toContain('opinion');
  });

  it('rejects a non-finite threshold', () => {
    expect(() => extractClaims('Prices rose 3%.', { threshold: Number.NaN })).toThrow(RangeError);
  });
});

describe('extractClaims: sentences', () => {
  it('keeps abbreviations, decimals and currencies inside one sentence', () => {
    const text = 'Dr. Ruiz told the U.S. Senate on Jan. 5 that costs rose 3.5 per cent to $412.5 million. Mr Brown disagreed.';
    const claim = claimFor(text, 'Dr. Ruiz');
    expect(claim.text).toBe('Dr. Ruiz told the U.S. Senate on Jan. 5 that costs rose 3.5 per cent to $412.5 million.');
    expect(claim.quantities.map((q) => q.text)).toEqual(['Jan. 5', '3.5 per cent', '$412.5 million']);
  });

  it('treats a quoted question followed by its attribution as one sentence', () => {
    const all = extractClaims('"Where would I go?" she said. The town has 8,600 homes.', { includeBelowThreshold: true });
    expect(all.map((c) => c.text)).toEqual(['"Where would I go?" she said.', 'The town has 8,600 homes.']);
  });

  it('does not extract headlines, bylines, captions, calls to action or furniture', () => {
    const text = [
      'Prison population hits record 109,000',
      'By Lucía Fernández, Central America Correspondent',
      'The prison population rose to 109,000 in 2024, the highest on record.',
      'Inmates at Cecot in Tecoluca. Photograph: Demo Desk/Archive',
      'Sign up for our newsletter',
      'Share this article',
      'Source link',
      'Will the government act?',
    ].join('\n\n');
    const claims = extractClaims(text);
    expect(claims.map((c) => c.text)).toEqual(['The prison population rose to 109,000 in 2024, the highest on record.']);
    const all = extractClaims(text, { includeBelowThreshold: true });
    const features = (fragment: string): string[] => all.find((c) => c.text.includes(fragment))?.features ?? [];
    expect(features('hits record')).toContain('headline');
    expect(features('By Lucía')).toContain('byline');
    expect(features('Inmates at Cecot')).toContain('caption');
    expect(features('Sign up')).toContain('call_to_action');
    expect(features('Share this')).toContain('site_furniture');
    expect(features('Will the government')).toContain('question');
  });

  it('scores opinions and predictions below factual statements', () => {
    const all = extractClaims(
      'Unemployment fell to 4.1% in March. The minister should resign. The economy will grow next year.',
      { includeBelowThreshold: true },
    );
    const [fact, opinion, prediction] = all;
    expect(fact?.score).toBeGreaterThanOrEqual(0.5);
    expect(opinion?.score).toBeLessThan(0.5);
    expect(prediction?.score).toBeLessThan(0.5);
  });
});

describe('extractClaims: claimants and kinds', () => {
  it('finds "X said", "said X", "according to Y" and pronouns', () => {
    const text = [
      'Justice Minister Ana Ruiz said 3,000 prisoners had been moved in May.',
      '"We freed 200 beds in a week," she said.',
      'Arrests rose 12 per cent, according to the national police.',
      '"The prison holds 14,500 people," said Rodrigo Alas, the deputy minister.',
      'The prison opened in 2023 with 40,000 places.',
    ].join(' ');
    const claims = extractClaims(text);
    expect(claims.map((c) => c.claimant)).toEqual(['Justice Minister Ana Ruiz', 'Justice Minister Ana Ruiz', 'the national police', 'Rodrigo Alas', null]);
  });

  it('attributes a quotation to the speaker named in the next sentence', () => {
    const text = '"We deported 1,200 people last year." That was what Home Secretary Jo Park said on Monday.';
    expect(extractClaims(text)[0]?.claimant).toBe('Home Secretary Jo Park');
  });

  it('assigns kinds', () => {
    const kind = (s: string): string | undefined => extractClaims(s, { threshold: 0 })[0]?.kind;
    expect(kind('The prison holds 14,500 people.')).toBe('statistic');
    expect(kind('Arrivals reached a record 2.4 million in 2023.')).toBe('comparison');
    expect(kind('Prices rose 5% because energy costs doubled.')).toBe('causal');
    expect(kind('"We have cut crime by 90 per cent," the president said.')).toBe('quote');
    expect(kind('The mayor resigned on Tuesday after a vote of no confidence.')).toBe('event');
  });
});

describe('extractQuantities', () => {
  it.each([
    ['Cecot holds 14,500 people.', '14,500', 14500, 'people'],
    ['It reached 36 per cent.', '36 per cent', 36, 'percent'],
    ['It cost $412 million.', '$412 million', 412e6, 'USD'],
    ['Borrowing hit 2.5bn last year.', '2.5bn', 2.5e9, null],
    ['A fine of £180 was paid.', '£180', 180, 'GBP'],
    ['Spending of €3.2bn was approved.', '€3.2bn', 3.2e9, 'EUR'],
    ['Nearly half of voters agreed.', 'half', 0.5, 'fraction'],
    ['Costs have doubled.', 'doubled', 2, 'multiplier'],
    ['A third of homes flooded.', 'A third', 1 / 3, 'fraction'],
    ['It opened in 2023 at last.', '2023', 2023, 'year'],
    ['It was signed on 5 January 2024.', '5 January 2024', 20240105, 'date'],
    ['It was signed on Jan. 5, 2024.', 'Jan. 5, 2024', 20240105, 'date'],
    ['Turnout rose 4.2 percentage points.', '4.2 percentage points', 4.2, 'percentage_points'],
    ['One in five children were affected.', 'One in five', 0.2, 'fraction'],
    ['About 1.5m people voted.', '1.5m', 1.5e6, 'people'],
    ['She won the 100m final.', '100m', 100, 'm'],
    ['The murder rate was 38 per 100,000 people.', '38 per 100,000', 38, 'per 100,000'],
    ['Twenty-five people were hurt.', 'Twenty-five', 25, 'people'],
  ])('%s → %s', (text, expectedText, value, unit) => {
    const q = extractQuantities(text).find((x) => x.text === expectedText);
    expect(q).toBeDefined();
    expect(q?.value).toBeCloseTo(value, 6);
    expect(q?.unit).toBe(unit);
  });

  it('reads a bare month only after a preposition, so "May" the verb is not a date', () => {
    expect(extractQuantities('Prices may rise.').filter((q) => q.unit === 'date')).toEqual([]);
    expect(extractQuantities('Prices rose in May.').map((q) => q.text)).toEqual(['May']);
  });
});

describe('checkArithmetic', () => {
  const check = (text: string) => checkArithmetic(text, extractQuantities(text));

  it('part and whole against a stated share (the Cecot case)', () => {
    const [c] = check('As of August, Cecot was holding 14,500 people, 36 per cent of its capacity of 40,000.');
    expect(c?.status).toBe('consistent');
    expect(c?.detail).toContain('36.25%');
  });

  it('flags a share that does not match', () => {
    const [c] = check('The prison held 20,000 people, 36 per cent of its capacity of 40,000.');
    expect(c?.status).toBe('inconsistent');
    expect(c?.detail).toContain('50%');
  });

  it('from/to against a stated change', () => {
    const [bad] = check('Complaints fell from 50 to 40, a drop of 25 per cent.');
    expect(bad?.status).toBe('inconsistent');
    expect(bad?.detail).toContain('20%');
    expect(check('Complaints fell from 50 to 40, a drop of 20 per cent.')[0]?.status).toBe('consistent');
  });

  it('tells percentage points from per cent', () => {
    const [points] = check('Unemployment rose from 4% to 6%, an increase of 2 percentage points.');
    expect(points?.status).toBe('consistent');
    const [perCent] = check('Unemployment rose from 4% to 6%, an increase of 2 per cent.');
    expect(perCent?.status).toBe('inconsistent');
    expect(perCent?.detail).toContain('percentage points');
    expect(check('Unemployment rose from 4% to 6%, an increase of 50 per cent.')[0]?.status).toBe('consistent');
  });

  it('halved, doubled and tripled against the figures', () => {
    expect(check('Waiting lists doubled to 8,000, up from 4,000 in 2019.')[0]?.status).toBe('consistent');
    expect(check('Bumblebee counts halved from 12,400 to 6,100.')[0]?.status).toBe('consistent');
    expect(check('Waiting lists halved from 9,000 to 6,000.')[0]?.status).toBe('inconsistent');
    expect(check('The gap tripled from £2.1m to £6.3m.')[0]?.status).toBe('consistent');
    const [unknown] = check('Burglaries have doubled since 2019.');
    expect(unknown?.status).toBe('unknown');
  });

  it('absolute change against the figures, allowing for printed rounding', () => {
    expect(check('A season ticket will go up from £3,480 to £3,640, an increase of £160.')[0]?.status).toBe('consistent');
    expect(check('A season ticket will go up from £3,480 to £3,640, an increase of £260.')[0]?.status).toBe('inconsistent');
    expect(check('Staff numbers rose from 12,040 to 15,010, an increase of 3,000.')[0]?.status).toBe('consistent');
  });

  it('flags a direction that contradicts the figures', () => {
    const [c] = check('Sales fell from 200 to 260 last year.');
    expect(c?.status).toBe('inconsistent');
    expect(c?.detail).toContain('rise');
  });

  it('rounds like a journalist, with hedges', () => {
    expect(check('Police made 412 arrests, of whom 96 were charged, or 23 per cent.')[0]?.status).toBe('consistent');
    expect(check('It won 31 of its 46 matches, a win rate of 67 per cent.')[0]?.status).toBe('consistent');
    expect(check('Nearly 40 per cent of its 1,200 staff, 470 people, were furloughed.')[0]?.status).toBe('consistent');
    expect(check('More than a third of the 1,200 staff, 500 people, left.')[0]?.status).toBe('consistent');
    expect(check('It rose from 39,000 to 109,000, an increase of 180 per cent.')[0]?.status).toBe('consistent');
  });

  it('works on hand-entered claims and ignores quantities it cannot place', () => {
    expect(checkArithmetic('No figures here.', [])).toEqual([]);
    expect(checkArithmetic('Prices rose.', [{ text: '12%', value: 12, unit: 'percent' }])).toEqual([]);
  });
});

describe('bad input', () => {
  it('rejects a NUL byte', () => {
    expect(() => extractClaims('Prices rose\u0000 3%.')).toThrow(ExtractionInputError);
    try {
      extractClaims('a\u0000b');
    } catch (err) {
      expect(err).toBeInstanceOf(ExtractionInputError);
      expect((err as ExtractionInputError).code).toBe('nul_byte');
      expect((err as ExtractionInputError).message).toMatch(/NUL/);
    }
  });

  it('rejects unpaired surrogates as invalid UTF-8', () => {
    expect(() => extractClaims('bad \uD800 text')).toThrow(expect.objectContaining({ code: 'invalid_utf8', message: expect.stringMatching(/UTF-8/) }));
    expect(() => extractClaims('bad \uDC00 text')).toThrow(expect.objectContaining({ code: 'invalid_utf8' }));
    expect(extractClaims('Paired emoji 😀 are fine; 300 people came.', { includeBelowThreshold: true })).toHaveLength(1);
  });

  it('rejects more than 2 MB of UTF-8, naming the limit', () => {
    expect(MAX_INPUT_BYTES).toBe(2 * 1024 * 1024);
    // 'é' is two bytes in UTF-8: 1.1M characters is 2.2 MB.
    const big = 'é'.repeat(1_100_000);
    expect(() => extractClaims(big)).toThrow(expect.objectContaining({ code: 'too_large', message: expect.stringContaining(String(MAX_INPUT_BYTES)) }));
    expect(() => extractClaims('a'.repeat(MAX_INPUT_BYTES + 1))).toThrow(ExtractionInputError);
  });
});
