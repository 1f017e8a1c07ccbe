import { describe, expect, it } from 'vitest';
import { HOSTILE_INPUTS } from '../../../bench/hostile-inputs.ts';
import { extractClaims, MAX_INPUT_BYTES } from '../../../src/extraction/index.ts';
import { breakLongRuns, MAX_RUN } from '../../../src/extraction/segment.ts';

// Each shape once made (or could make) a pattern take time polynomial in its length. At 256 kB a quadratic pattern
// would need hours, so a regression shows up as a test that does not finish; bench/hostile.bench.ts measures the
// cost itself, as a ratio to plain sentence splitting.
const SIZE = 256 * 1024;

describe('extraction finishes hostile input with exact spans', () => {
  for (const input of HOSTILE_INPUTS) {
    it(`${input.name} (${input.why})`, () => {
      const text = input.make(input.testBytes ?? SIZE);
      expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(MAX_INPUT_BYTES);
      const claims = extractClaims(text, { includeBelowThreshold: true, kind: input.kind ?? 'auto' });
      for (const c of claims) {
        expect(c.start).toBeGreaterThanOrEqual(0);
        expect(c.end).toBeLessThanOrEqual(text.length);
        expect(c.text).toBe(text.slice(c.start, c.end));
      }
    }, 60_000);
  }

  it('a line of the byline shape is still read as a byline, not a claim', () => {
    const [claim] = extractClaims('Jane Doe, Home Affairs correspondent', { includeBelowThreshold: true });
    expect(claim?.features).toContain('byline');
  });
});

describe('breakLongRuns', () => {
  it('keeps the length and every character outside long runs', () => {
    const text = `short words ${'x'.repeat(350)} and "https://example.org/a/b" 😀${'😀'.repeat(150)}`;
    const broken = breakLongRuns(text);
    expect(broken.length).toBe(text.length);
    expect(broken.slice(0, 12)).toBe('short words ');
    expect(broken.endsWith('😀')).toBe(true);
    expect(broken).not.toMatch(new RegExp(`\\S{${MAX_RUN + 1}}`, 'u'));
    // Only whitespace was introduced, and no surrogate pair was split.
    for (let i = 0; i < text.length; i++) if (broken[i] !== text[i]) expect(broken[i]).toBe(' ');
    expect([...broken].every((ch) => ch.length === 1 || /\p{Extended_Pictographic}/u.test(ch))).toBe(true);
  });

  it('leaves ordinary prose untouched', () => {
    const text = 'As of August, Cecot was holding 14,500 people, 36 per cent of its capacity of 40,000.';
    expect(breakLongRuns(text)).toBe(text);
  });
});
