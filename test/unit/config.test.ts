import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import { DEV_ACTOR_SIGNING_KEY } from '../../src/domain/actor-signature.ts';

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

describe('config: actor signing keys', () => {
  const key = 'a'.repeat(32);

  it('uses the public development key outside production, and the configured keys when set', () => {
    expect(parseConfig({}).actorSigningKeys).toEqual({ current: DEV_ACTOR_SIGNING_KEY, previous: [] });
    expect(parseConfig({ ACTOR_SIGNING_KEY: key, ACTOR_SIGNING_KEYS_PREVIOUS: ` ${'b'.repeat(32)}, ${'c'.repeat(40)} ` }).actorSigningKeys).toEqual({
      current: key,
      previous: ['b'.repeat(32), 'c'.repeat(40)],
    });
  });

  it('requires a key of its own in production', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/ACTOR_SIGNING_KEY: required when NODE_ENV=production/);
    expect(() => parseConfig({ NODE_ENV: 'production', ACTOR_SIGNING_KEY: DEV_ACTOR_SIGNING_KEY })).toThrow(/public development key/);
    expect(parseConfig({ NODE_ENV: 'production', ACTOR_SIGNING_KEY: key, WEBHOOK_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }).actorSigningKeys.current).toBe(key);
  });

  it('refuses short keys without echoing them', () => {
    let error: unknown;
    try {
      parseConfig({ ACTOR_SIGNING_KEY: 'short-secret', ACTOR_SIGNING_KEYS_PREVIOUS: 'old-secret' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).problems.join('\n');
    expect(text).toMatch(/ACTOR_SIGNING_KEY: must be at least 32 characters/);
    expect(text).toMatch(/ACTOR_SIGNING_KEYS_PREVIOUS/);
    expect(text).not.toContain('short-secret');
    expect(text).not.toContain('old-secret');
  });
});
