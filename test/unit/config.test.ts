import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.ts';

describe('config', () => {
  it('has working defaults for an empty environment', () => {
    const config = parseConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.TASK_QUEUE).toBe('claimdesk');
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.stateDir.length).toBeGreaterThan(0);
  });

  it('reports one line per problem, naming each variable and the value it got', () => {
    let error: unknown;
    try {
      parseConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'localhost', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.find((p) => p.startsWith('config: PORT'))).toContain('"eighty"');
    expect(problems.find((p) => p.startsWith('config: DATABASE_URL'))).toContain('postgres://');
    expect(problems.find((p) => p.startsWith('config: TEMPORAL_ADDRESS'))).toContain('host:port');
    expect(problems.some((p) => p.startsWith('config: LOG_LEVEL'))).toBe(true);
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(3000);
  });

  it('rejects an out-of-range port', () => {
    expect(() => parseConfig({ PORT: '70000' })).toThrow(/PORT/);
  });

  it('honours an explicit state directory', () => {
    expect(parseConfig({ CLAIMDESK_STATE_DIR: '/tmp/cd-state' }).stateDir).toBe('/tmp/cd-state');
  });
});
