import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { STACK } from '../../src/services/stack-settings.ts';
import { SEARCH_ATTRIBUTE_CACHE_AFTER_MS, serverConfigYaml, serverPorts, withSearchAttributeCache } from '../../src/services/temporal-server.ts';

// docker-compose.yml and `claimdesk stack` describe the same production shape: this reads the compose file and
// compares it with the settings the stack command runs with (src/services/stack-settings.ts).
interface Service {
  image?: string;
  command?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  deploy?: { replicas?: number };
}
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);
const byCommand = (cmd: string) => services.filter(([, s]) => JSON.stringify(s.command) === JSON.stringify([cmd]));

describe('docker-compose.yml and claimdesk stack describe the same shape', () => {
  it('runs the same Temporal server release on the same database plugin and shard count', () => {
    const [major, minor] = STACK.temporal.version.split('.');
    expect(compose.services.temporal?.image).toBe(STACK.temporal.serverImage);
    expect(STACK.temporal.serverImage).toBe(`temporalio/server:${major}.${minor}`);
    expect(compose.services['temporal-schema']?.image).toBe(STACK.temporal.adminToolsImage);
    expect(compose.services['temporal-setup']?.image).toBe(STACK.temporal.adminToolsImage);
    expect(STACK.temporal.serverModule).toBe(`go.temporal.io/server/cmd/server@v${STACK.temporal.version}`);
    expect(STACK.temporal.sqlToolModule).toBe(`go.temporal.io/server/cmd/tools/sql@v${STACK.temporal.version}`);
    // Built beside the CLI (its dependency versions): the same two packages, and the CLI release that embeds this server.
    expect(STACK.temporal.serverPackages).toEqual([STACK.temporal.serverModule, STACK.temporal.sqlToolModule].map((m) => m.split('@')[0]));
    expect(STACK.temporal.cliPackage).toMatch(/^github\.com\/temporalio\/cli\/cmd\/temporal@v\d+\.\d+\.\d+$/);
    expect(compose.services.temporal?.environment?.DB).toBe(STACK.temporal.dbPlugin);
    expect(compose.services['temporal-schema']?.environment?.DB).toBe(STACK.temporal.dbPlugin);
    expect(Number(compose.services.temporal?.environment?.NUM_HISTORY_SHARDS)).toBe(STACK.temporal.numHistoryShards);
    // Same frontend port, reached inside compose's network only (Temporal's port is not published: a trust boundary).
    expect(compose.services.api?.environment?.TEMPORAL_ADDRESS).toBe(`temporal:${STACK.temporal.frontendPort}`);
    expect(compose.services.temporal?.ports ?? []).toEqual([]);
  });

  it('sets up the same two databases with the same schemas', () => {
    const setup = JSON.stringify(compose.services['temporal-schema']?.command);
    expect(setup).toContain(`for db in ${STACK.temporal.databases.default} ${STACK.temporal.databases.visibility}`);
    expect(setup).toContain(`--db ${STACK.temporal.databases.default} update-schema -d /etc/temporal/schema/${STACK.temporal.schemas.default}/versioned`);
    expect(setup).toContain(`--db ${STACK.temporal.databases.visibility} update-schema -d /etc/temporal/schema/${STACK.temporal.schemas.visibility}/versioned`);
  });

  it('gives the server the same dynamic config and the namespace the same retention', () => {
    const mounts = compose.services.temporal?.volumes ?? [];
    expect(mounts.some((m) => m.startsWith(`./${STACK.temporal.dynamicConfig}:`))).toBe(true);
    const setup = JSON.stringify(compose.services['temporal-setup']?.command);
    expect(setup).toContain(`-n ${STACK.temporal.namespace} --retention ${STACK.temporal.retentionDays}d`);
  });

  it('runs as many API processes, on the same ports, and as many workers', () => {
    const apis = byCommand('api');
    expect(apis.map(([, s]) => Number(s.environment?.PORT)).sort()).toEqual([...STACK.api.ports].sort());
    for (const [name, s] of apis) expect(s.ports, name).toEqual([`${s.environment?.PORT}:${s.environment?.PORT}`]);
    const workers = byCommand('worker');
    expect(workers.reduce((n, [, s]) => n + (s.deploy?.replicas ?? 1), 0)).toBe(STACK.worker.replicas);
    expect(STACK.worker.metricsPorts).toHaveLength(STACK.worker.replicas);
    expect(Number(workers[0]?.[1].environment?.WORKER_METRICS_PORT)).toBe(STACK.worker.metricsPorts[0]);
    expect(byCommand('migrate')).toHaveLength(1);
  });

  it('gives every claimdesk process the same settings', () => {
    for (const [name, s] of [...byCommand('api'), ...byCommand('worker'), ...byCommand('migrate')]) {
      for (const [key, value] of Object.entries(STACK.claimdeskEnv)) expect(s.environment?.[key], `${name}: ${key}`).toBe(value);
      expect(s.environment?.TEMPORAL_ADDRESS, name).toBe(`temporal:${STACK.temporal.frontendPort}`);
      expect(s.environment?.DATABASE_URL, name).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/claimdesk$/);
    }
  });

  it("writes a server config the stack command's server reads: the settings' databases, shards and distinct ports", () => {
    const yaml = serverConfigYaml({ dbs: { adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres', ...STACK.temporal.databases }, frontendPort: 7233, dynamicConfigPath: '/x/dynamicconfig.yaml', numHistoryShards: STACK.temporal.numHistoryShards });
    const config = parse(yaml) as { persistence: { numHistoryShards: number; datastores: Record<string, { sql: { databaseName: string; pluginName: string } }> }; services: Record<string, { rpc: { grpcPort: number; membershipPort: number } }> };
    expect(config.persistence.numHistoryShards).toBe(STACK.temporal.numHistoryShards);
    expect(Object.values(config.persistence.datastores).map((d) => d.sql.databaseName).sort()).toEqual([STACK.temporal.databases.default, STACK.temporal.databases.visibility].sort());
    expect(Object.values(config.persistence.datastores).every((d) => d.sql.pluginName === STACK.temporal.dbPlugin)).toBe(true);
    const ports = Object.values(config.services).flatMap((s) => [s.rpc.grpcPort, s.rpc.membershipPort]);
    expect(new Set(ports).size).toBe(ports.length);
    expect(config.services.frontend?.rpc.grpcPort).toBe(7233);
    const all = serverPorts(7233);
    expect(Math.max(all.metrics, all.http, ...Object.values(all.membership))).toBe(7233 + 9);
  });
});

describe('the search-attribute cache of the stack\'s Temporal server', () => {
  const deployed = readFileSync(new URL(`../../${STACK.temporal.dynamicConfig}`, import.meta.url), 'utf8');
  type Entries = Record<string, Array<{ value: unknown }>>;

  it('starts with every lookup read from the database, since the attributes are registered after the server starts', () => {
    expect((parse(deployed) as Entries)['system.forceSearchAttributesCacheRefreshOnRead']?.[0]?.value).toBe(true);
  });

  it('is turned back on only after any cache older than the registration has expired (60 s on the server)', () => {
    const relaxed = parse(withSearchAttributeCache(deployed)) as Entries;
    expect(relaxed['system.forceSearchAttributesCacheRefreshOnRead']?.[0]?.value).toBe(false);
    // Nothing else changes.
    const { 'system.forceSearchAttributesCacheRefreshOnRead': _a, ...restBefore } = parse(deployed) as Entries;
    const { 'system.forceSearchAttributesCacheRefreshOnRead': _b, ...restAfter } = relaxed;
    expect(restAfter).toEqual(restBefore);
    expect(SEARCH_ATTRIBUTE_CACHE_AFTER_MS).toBeGreaterThan(60_000);
  });

  it('leaves a config that does not force the lookups as it is', () => {
    const other = 'limit.maxIDLength:\n  - value: 255\nsystem.forceSearchAttributesCacheRefreshOnRead:\n  - value: false\n';
    expect(withSearchAttributeCache(other)).toBe(other);
    expect(withSearchAttributeCache('limit.maxIDLength:\n  - value: 255\n')).toBe('limit.maxIDLength:\n  - value: 255\n');
  });
});
