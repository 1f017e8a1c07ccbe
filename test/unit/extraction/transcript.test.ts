import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { extractClaims, looksLikeTranscript, resolveKind } from '../../../src/extraction/index.ts';
import type { ExtractedClaim, ExtractOptions } from '../../../src/extraction/index.ts';

const DEBATE = [
  '[00:00:05] MODERATOR: Good evening and welcome to the debate.',
  '[00:00:12] SEN. WARREN: Thank you. We have cut the deficit in half since 2020,',
  'and unemployment fell to 3.5 percent last year. (APPLAUSE)',
  'GOV. SMITH: That is not true -- the deficit went up... it went up by $200 billion.',
  '[CROSSTALK]',
  '[00:03:40] SEN. WARREN: He voted against the infrastructure bill three times.',
  'MODERATOR: Governor, your response?',
  '(LAUGHTER)',
  '',
].join('\n');

function all(text: string, options: ExtractOptions = {}): ExtractedClaim[] {
  return extractClaims(text, { includeBelowThreshold: true, ...options });
}

function exact(text: string, claims: ExtractedClaim[]): void {
  let previousEnd = 0;
  for (const c of claims) {
    expect(c.text).toBe(text.slice(c.start, c.end));
    expect(c.start).toBeGreaterThanOrEqual(previousEnd);
    expect(c.end).toBeGreaterThan(c.start);
    previousEnd = c.end;
  }
}

describe('transcripts', () => {
  it('is detected from SPEAKER: turns, and news is not', () => {
    expect(looksLikeTranscript(DEBATE)).toBe(true);
    expect(resolveKind(DEBATE)).toBe('transcript');
    const news = 'Council tax rose by 4.99% in April.\n\nNote: this article was updated.\n\nThe council said: "We had no choice."\n';
    expect(looksLikeTranscript(news)).toBe(false);
    expect(resolveKind(news, 'transcript')).toBe('transcript');
  });

  it('makes each speaker the claimant of what they said, keeps the timestamp, and joins a turn over lines', () => {
    const claims = all(DEBATE);
    exact(DEBATE, claims);
    const deficit = claims.find((c) => c.text.includes('cut the deficit'));
    expect(deficit).toMatchObject({ claimant: 'SEN. WARREN', timestamp: '00:00:12' });
    // The turn spans two lines and the stage direction after it is not part of the sentence.
    expect(deficit?.text).toBe('We have cut the deficit in half since 2020,\nand unemployment fell to 3.5 percent last year.');
    expect(deficit?.score).toBeGreaterThanOrEqual(0.5);
    const voted = claims.find((c) => c.text.includes('voted against'));
    expect(voted).toMatchObject({ claimant: 'SEN. WARREN', timestamp: '00:03:40' });
    expect(voted?.score).toBeGreaterThanOrEqual(0.5);
    // No label or timestamp leaks into a claim.
    for (const c of claims) expect(c.text).not.toMatch(/MODERATOR:|SEN\. WARREN:|\[00:/);
  });

  it('keeps a sentence whole across interruptions and trailing off', () => {
    const claims = all(DEBATE);
    const smith = claims.filter((c) => c.claimant === 'GOV. SMITH');
    expect(smith.map((c) => c.text)).toEqual(['That is not true -- the deficit went up... it went up by $200 billion.']);
    expect(smith[0]?.quantities.map((q) => q.text)).toEqual(['$200 billion']);
  });

  it('never makes a claim of a stage direction', () => {
    const text = 'MODERATOR: Welcome.\n(APPLAUSE)\nCANDIDATE: [CROSSTALK] (laughs) [inaudible]\nMODERATOR: (BEGIN VIDEO CLIP)\n';
    const claims = all(text);
    exact(text, claims);
    for (const c of claims) expect(c.text).not.toMatch(/APPLAUSE|CROSSTALK|laughs|inaudible|VIDEO CLIP/);
    expect(claims.map((c) => c.text)).toEqual(['Welcome.']);
  });

  it('reads a question from the moderator as a question, whoever asks it', () => {
    const question = all(DEBATE).find((c) => c.text.includes('your response'));
    expect(question?.features).toContain('question');
    expect(question?.score).toBeLessThan(0.5);
  });

  it('leaves a news article read as news exactly as before the transcript reader', () => {
    const text = 'Council tax rose by 4.99% in April, the council said. It was a lovely day.';
    const claims = extractClaims(text, { kind: 'auto' });
    expect(claims).toHaveLength(1);
    expect(claims[0]?.timestamp).toBeUndefined();
    expect(claims[0]?.claimant).toBe('the council');
  });

  const piece = fc.constantFrom(
    'MODERATOR: ', 'SEN. WARREN: ', 'Jane Smith: ', 'Q: ', 'A: ', '[00:12:34] ', '[1:02] ', '(APPLAUSE)', '[CROSSTALK]', '(laughs)',
    ' -- ', '--', '...', '…', '\n', '\r\n', '\n\n', 'We cut taxes by 40%. ', 'He voted against it ', 'three times', '. ', '? ',
    '"', ':', '[', ']', '(', ')', 'é', '😀', 'Note: ', ' said ', '$200 billion', '\t',
  );
  const transcriptish = fc.array(fc.oneof(piece, fc.string({ maxLength: 8 })), { maxLength: 60 }).map((p) => p.join(''));

  it('has exact, ordered spans for transcript-like text read either way (fast-check)', () => {
    fc.assert(
      fc.property(transcriptish, fc.constantFrom('transcript', 'news', 'auto') as fc.Arbitrary<'transcript' | 'news' | 'auto'>, (text, kind) => {
        const claims = all(text, { kind });
        exact(text, claims);
        for (const c of claims) {
          expect(c.score).toBeGreaterThanOrEqual(0);
          expect(c.score).toBeLessThanOrEqual(1);
          if (kind === 'transcript') expect(c.timestamp === null || /^\d{1,2}:\d{2}/.test(c.timestamp ?? '')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
