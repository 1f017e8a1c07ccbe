import { describe, expect, it } from 'vitest';
import { extractClaims, MAX_INPUT_BYTES } from '../../../src/extraction/index.ts';

// Input anyone can send (API, CLI, intake): one "sentence" packed with figures, up to the size limit. Pairing every
// figure with every other one made these take hours; extraction must finish them like any other article.
const DENSE_FIGURES: Record<string, string> = {
  'shares of wholes': '5% of 10 ',
  'from/to changes': 'from 1 to 2 ',
  'trailing shares': '10 arrests, of whom 5, or 50% ',
  'bare numbers': '1 ',
  'money': '$1 ',
};

describe('extractClaims on adversarial input', () => {
  for (const [name, unit] of Object.entries(DENSE_FIGURES)) {
    it(`finishes a 1 MB run of ${name} with exact spans`, () => {
      const input = unit.repeat(Math.floor((1024 * 1024) / unit.length));
      expect(input.length).toBeLessThanOrEqual(MAX_INPUT_BYTES);
      const claims = extractClaims(input, { includeBelowThreshold: true });
      expect(claims.length).toBeGreaterThan(0);
      for (const c of claims) {
        expect(c.text).toBe(input.slice(c.start, c.end));
        expect(c.quantities.length).toBeGreaterThan(0);
      }
    });
  }

  it('finishes 2 MB of repeated digits, commas and dots', () => {
    for (const ch of ['7', ',', '.', '1,', '1.']) {
      const input = ch.repeat(Math.floor(MAX_INPUT_BYTES / ch.length));
      const claims = extractClaims(input, { includeBelowThreshold: true });
      for (const c of claims) expect(c.text).toBe(input.slice(c.start, c.end));
    }
  });
});
