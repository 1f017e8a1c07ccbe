import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, parseConfig } from '../../src/config/index.ts';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes.ts';

// No Docker engine runs where these tests run: the compose file is checked by reading it.
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: unknown; command?: unknown; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; healthcheck?: { test: unknown }; volumes?: string[]; ports?: string[] }>;
  volumes: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  it('parses and has the production services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'api-2', 'migrate', 'postgres', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker']);
  });

  it('uses the official Temporal server and admin-tools images on Postgres', () => {
    expect(compose.services.temporal?.image).toMatch(/^temporalio\/server:/);
    expect(compose.services['temporal-schema']?.image).toMatch(/^temporalio\/admin-tools:/);
    expect(compose.services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
    expect(compose.services.temporal?.environment?.DB).toBe('postgres12');
    expect(compose.services.temporal?.environment?.POSTGRES_SEEDS).toBe('postgres');
  });

  it('gives every long-running service a healthcheck', () => {
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'api', 'api-2', 'worker']) {
      expect(compose.services[name]?.healthcheck?.test, name).toBeDefined();
    }
  });

  it('starts things in dependency order', () => {
    expect(compose.services.temporal?.depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
    expect(compose.services.api?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    expect(compose.services.worker?.depends_on?.['temporal-setup']?.condition).toBe('service_completed_successfully');
    for (const [name, service] of Object.entries(compose.services)) {
      for (const dep of Object.keys(service.depends_on ?? {})) expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
    }
  });

  it('passes claimdesk only variables its config knows, with values the config accepts', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const name of ['api', 'api-2', 'worker', 'migrate']) {
      const env = compose.services[name]?.environment ?? {};
      for (const key of Object.keys(env)) expect(known.has(key), `${name}: ${key}`).toBe(true);
      const concrete = Object.fromEntries(Object.entries(env).filter(([, v]) => !String(v).includes('${')));
      expect(() => configSchema.parse(concrete), name).not.toThrow();
    }
  });

  it('makes the API listen on the container interface explicitly and requires a webhook secret key', () => {
    // claimdesk's own default is loopback, which nothing outside the container could reach.
    expect(parseConfig({}).HOST).toBe('127.0.0.1');
    expect(compose.services.api?.environment?.HOST).toBe('0.0.0.0');
    for (const name of ['api', 'worker']) {
      // `${VAR:?message}`: compose refuses to start without it, as the config refuses production without it.
      expect(compose.services[name]?.environment?.WEBHOOK_SECRET_KEY, name).toMatch(/^\$\{WEBHOOK_SECRET_KEY:\?/);
    }
    expect(() => parseConfig({ NODE_ENV: 'production', ACTOR_SIGNING_KEY: 'k'.repeat(32) })).toThrow(/WEBHOOK_SECRET_KEY/);
    expect(parseConfig({ NODE_ENV: 'production', ACTOR_SIGNING_KEY: 'k'.repeat(32), WEBHOOK_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') }).NODE_ENV).toBe('production');
  });

  it('registers every search attribute the workflows upsert, from the deploy script, and the services check them', () => {
    const setup = JSON.stringify(compose.services['temporal-setup']?.command);
    expect(setup).toContain('register-search-attributes.sh');
    const script = readFileSync(new URL('../../deploy/temporal/register-search-attributes.sh', import.meta.url), 'utf8');
    for (const attr of Object.keys(CUSTOM_SEARCH_ATTRIBUTES)) expect(script).toContain(attr);
    for (const name of ['api', 'worker']) expect(compose.services[name]?.environment?.TEMPORAL_SEARCH_ATTRIBUTES, name).toBe('fail');
  });

  it('keeps Temporal off the network: no published gRPC port, the UI on loopback only and read-only', () => {
    // Whoever reaches Temporal's port can read every history and send Updates; the UI has no sign-in.
    expect(compose.services.temporal?.ports ?? []).toEqual([]);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) {
        // The API processes are claimdesk's public door; everything else stays on loopback.
        if (name === 'api' || name === 'api-2') continue;
        expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
      }
    }
    expect(compose.services['temporal-ui']?.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
  });

  it('gives the API and the worker the same actor signing key, which compose requires', () => {
    const api = compose.services.api?.environment?.ACTOR_SIGNING_KEY;
    expect(api).toMatch(/^\$\{ACTOR_SIGNING_KEY:\?/);
    expect(compose.services.worker?.environment?.ACTOR_SIGNING_KEY).toBe(api);
  });

  it('mounts files that exist in the repository', () => {
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./')) expect(() => readFileSync(new URL(`../../${source.slice(2)}`, import.meta.url)), source).not.toThrow();
      }
    }
  });

  it('builds claimdesk on a Node 24 image, installing only what runs in production', () => {
    for (const name of ['migrate', 'api', 'api-2', 'worker']) expect(compose.services[name]?.build, name).toBe('.');
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:24-[a-z-]+$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });
});
