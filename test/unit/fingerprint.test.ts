import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimFingerprint } from '../../src/domain/fingerprint.ts';

describe('claimFingerprint', () => {
  it('ignores case, punctuation and spacing', () => {
    expect(claimFingerprint('Unemployment FELL to 3.1% — in March!')).toBe('unemployment fell to 3.1 percent in march');
    expect(claimFingerprint('  unemployment fell to 3.1 %,  in march ')).toBe(claimFingerprint('Unemployment FELL to 3.1% — in March!'));
  });

  it('treats thousands separators as noise but keeps decimals meaningful', () => {
    expect(claimFingerprint('Cecot holds 14,500 people')).toBe(claimFingerprint('Cecot holds 14500 people'));
    expect(claimFingerprint('a rate of 3.1')).not.toBe(claimFingerprint('a rate of 31'));
    expect(claimFingerprint('1,234,567 votes')).toBe('1234567 votes');
  });

  it('folds compatibility characters (full-width digits, ligatures) to their plain forms', () => {
    expect(claimFingerprint('Ｃｅｃｏｔ holds １４,５００')).toBe('cecot holds 14500');
  });

  it('is idempotent and never keeps leading, trailing or doubled spaces', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const once = claimFingerprint(s);
        expect(claimFingerprint(once)).toBe(once);
        expect(once).toBe(once.trim());
        expect(once).not.toMatch(/\s{2}/);
      }),
    );
  });
});
