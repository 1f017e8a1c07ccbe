import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';

// parseConfig with an explicit environment: nothing here depends on the machine's own variables.
describe('configuration defaults that depend on other settings', () => {
  it('PUBLISHER_URL, when unset, follows PORT so ClaimReview urls reach this server', () => {
    expect(parseConfig({}).PUBLISHER_URL).toBe('http://localhost:3000');
    expect(parseConfig({ PORT: '8080' }).PUBLISHER_URL).toBe('http://localhost:8080');
    // Empty counts as unset.
    expect(parseConfig({ PORT: '4100', PUBLISHER_URL: '' }).PUBLISHER_URL).toBe('http://localhost:4100');
  });

  it('an explicit PUBLISHER_URL wins over PORT and is still validated', () => {
    expect(parseConfig({ PORT: '8080', PUBLISHER_URL: 'https://factcheck.example.org' }).PUBLISHER_URL).toBe('https://factcheck.example.org');
    expect(() => parseConfig({ PUBLISHER_URL: 'ftp://example.org' })).toThrow(/PUBLISHER_URL/);
  });
});
