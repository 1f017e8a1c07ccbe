import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { extractClaims, ExtractionInputError } from '../../../src/extraction/index.ts';
import type { ExtractedClaim, ExtractOptions } from '../../../src/extraction/index.ts';

function assertWellFormed(input: string, claims: ExtractedClaim[]): void {
  let previousEnd = 0;
  for (const c of claims) {
    expect(c.start).toBeGreaterThanOrEqual(0);
    expect(c.end).toBeLessThanOrEqual(input.length);
    expect(c.start).toBeLessThan(c.end);
    expect(c.text).toBe(input.slice(c.start, c.end));
    // In order and not overlapping.
    expect(c.start).toBeGreaterThanOrEqual(previousEnd);
    previousEnd = c.end;
    expect(c.score).toBeGreaterThanOrEqual(0);
    expect(c.score).toBeLessThanOrEqual(1);
    for (const q of c.quantities) expect(Number.isFinite(q.value)).toBe(true);
  }
}

function run(input: string, options: ExtractOptions = { includeBelowThreshold: true }): void {
  let claims: ExtractedClaim[];
  try {
    claims = extractClaims(input, options);
  } catch (err) {
    // The only acceptable failure is a named rejection of input that is not plain text.
    expect(err).toBeInstanceOf(ExtractionInputError);
    expect(input.includes('\u0000') || /[\uD800-\uDFFF]/.test(input)).toBe(true);
    return;
  }
  assertWellFormed(input, claims);
}

// Article-like fragments so the generator reaches quotes, numbers, abbreviations and line breaks often.
const fragment = fc.constantFrom(
  'Dr. ', 'U.S. ', 'Jan. 5', ' per cent', '36%', '$412 million', '£180', '2.5bn', 'half', 'doubled', '"', '“', '”', "'",
  '. ', '? ', '! ', '\n', '\n\n', '\r\n', ' said ', 'according to ', 'from 50 to 40', ', a drop of 25 per cent', '14,500',
  ' of its capacity of 40,000', 'Sign up for our newsletter', 'Photograph: ', 'By Jane Doe', '…', '\t', ' ', 'record',
  'Cecot', 'The minister', 'é', '😀', '\u00a0', '-', '(', ')', '1.', '3,', ',000', 'per', 'cent', 'Mr', 'St.',
);
const articleish = fc.array(fc.oneof(fragment, fc.string({ maxLength: 12 })), { maxLength: 60 }).map((parts) => parts.join(''));

describe('extractClaims properties', () => {
  it('never throws on any string except a named input error, and spans are exact', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => run(s)), { numRuns: 300 });
  });

  it('handles article-like text with exact, ordered, non-overlapping spans', () => {
    fc.assert(fc.property(articleish, (s) => run(s)), { numRuns: 400 });
    fc.assert(fc.property(articleish, (s) => run(s, {})), { numRuns: 200 });
  });

  it('returns only claims at or above the threshold', () => {
    fc.assert(
      fc.property(articleish, fc.double({ min: 0, max: 1, noNaN: true }), (s, threshold) => {
        for (const c of extractClaims(s, { threshold })) expect(c.score).toBeGreaterThanOrEqual(threshold);
      }),
      { numRuns: 150 },
    );
  });

  it('handles a 1 MB article', () => {
    const paragraph =
      'As of August, Cecot was holding 14,500 people, 36 per cent of its capacity of 40,000. "We have room," said Dr. Ana Ruiz. ' +
      'Complaints fell from 50 to 40, a drop of 25 per cent, according to the U.S. Department of Justice. Sign up for our newsletter\n\n';
    const repeats = Math.ceil((1024 * 1024) / paragraph.length);
    const input = paragraph.repeat(repeats);
    expect(input.length).toBeGreaterThanOrEqual(1024 * 1024);
    const claims = extractClaims(input);
    assertWellFormed(input, claims);
    // Two claims per paragraph (the Cecot share and the complaints change); the quote and the call to action are not claims.
    expect(claims).toHaveLength(repeats * 2);
    expect(claims[0]?.checks[0]?.status).toBe('consistent');
    expect(claims[1]?.checks[0]?.status).toBe('inconsistent');
  });
});
