// The real Temporal server on PostgreSQL, for `claimdesk stack` (the production shape on one machine): its binaries
// built once from the Go module proxy, its two databases and their schemas, a generated config, the namespace and
// the search attributes claimdesk's workflows upsert.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { childEnv } from '../config/index.ts';
import { ServiceError } from './errors.ts';
import { portAnswers, waitFor } from './net.ts';
import { ensureDatabase } from './postgres.ts';
import type { ProgressLog } from './progress-log.ts';
import { STACK } from './stack-settings.ts';
import { connectionAnswers, registerSearchAttributes, findGo, goBinDir } from './temporal.ts';

const execFileAsync = promisify(execFile);

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
}

/** The server and its SQL schema tool (`go install` names them `server` and `sql` in Go's bin directory). */
async function goBinaries(envPath: string | undefined): Promise<{ go: string | null; server: string | null; sqlTool: string | null }> {
  const go = await findGo(envPath);
  const dirs = [go ? await goBinDir(go) : null, path.join(os.homedir(), 'go', 'bin')].filter((d): d is string => Boolean(d));
  const find = (name: string) => dirs.map((d) => path.join(d, name)).find((p) => existsSync(p)) ?? null;
  return { go, server: find('server'), sqlTool: find('sql') };
}

/**
 * Builds the server and its SQL tool in a scratch Go module that requires both the CLI release and the server
 * release, so Go selects the dependency versions the CLI pins (the build its embedded dev server runs). Every
 * package the two share then comes out of Go's build cache from the CLI's build instead of being compiled a second
 * time at slightly older versions, which is what a plain `go install …server@v1.29.1` does (it differs from the CLI
 * in golang.org/x/sys, and so in nearly every package above it). Returns false when the scratch module cannot be set
 * up (a module the proxy refuses), for the caller to fall back to the plain install.
 */
async function installAlongsideCli(go: string, log: ProgressLog): Promise<boolean> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-temporal-build-'));
  // The scratch module alone: not part of a go.work the caller's environment may name.
  const env = { ...childEnv(), GOWORK: 'off' };
  try {
    writeFileSync(path.join(dir, 'go.mod'), 'module claimdesk.local/temporal-build\n\ngo 1.24\n');
    try {
      await execFileAsync(go, ['get', STACK.temporal.cliPackage, STACK.temporal.serverModule, STACK.temporal.sqlToolModule], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? String(err);
      log.warn(`could not pin the server to the CLI's dependency versions (${stderr.trim().split('\n').slice(-1)[0] ?? ''}): building it with its own`);
      return false;
    }
    await execFileAsync(go, ['install', ...STACK.temporal.serverPackages], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Finds the Temporal server binaries, building them once with `go install` when missing (under a minute after the
 * CLI's build, several without it; a log line at the start and the end).
 */
export async function ensureTemporalServerBinaries(log: ProgressLog, envPath: string | undefined): Promise<TemporalServerBinaries> {
  const found = await goBinaries(envPath);
  if (found.server && found.sqlTool) return { server: found.server, sqlTool: found.sqlTool };
  if (!found.go) {
    throw new ServiceError('temporal_missing', `the Temporal server is not built and Go is not installed: install Go >= 1.23 and run \`go install ${STACK.temporal.serverModule} ${STACK.temporal.sqlToolModule}\``);
  }
  log.info(`Temporal server ${STACK.temporal.version} not found: building it once (\`go install\` of ${STACK.temporal.serverPackages.join(' and ')}; under a minute after the CLI's build, several minutes without it)...`);
  const started = Date.now();
  try {
    if (!(await installAlongsideCli(found.go, log))) {
      await execFileAsync(found.go, ['install', STACK.temporal.serverModule, STACK.temporal.sqlToolModule], { maxBuffer: 16 * 1024 * 1024 });
    }
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new ServiceError('temporal_build_failed', `go install of the Temporal server failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  log.info(`Temporal server built in ${Math.round((Date.now() - started) / 1000)}s`);
  const built = await goBinaries(envPath);
  if (!built.server || !built.sqlTool) throw new ServiceError('temporal_build_failed', 'go install finished but the server binaries are not in Go\'s bin directory');
  return { server: built.server, sqlTool: built.sqlTool };
}

export interface TemporalDatabases {
  /** postgres://user[:password]@host:port/anything: the server the databases live on. */
  adminUrl: string;
  default: string;
  visibility: string;
}

/** Creates Temporal's two databases when missing and brings their schemas to the release's version (idempotent). */
export async function setupTemporalSchema(sqlTool: string, dbs: TemporalDatabases, log: ProgressLog): Promise<void> {
  const u = new URL(dbs.adminUrl);
  const base = ['--plugin', STACK.temporal.dbPlugin, '--ep', u.hostname, '-p', u.port || '5432', '-u', decodeURIComponent(u.username || 'postgres')];
  if (u.password) base.push('--pw', decodeURIComponent(u.password));
  for (const [db, schema] of [
    [dbs.default, STACK.temporal.schemas.default],
    [dbs.visibility, STACK.temporal.schemas.visibility],
  ] as const) {
    await ensureDatabase(dbs.adminUrl, db);
    try {
      await execFileAsync(sqlTool, [...base, '--db', db, 'setup-schema', '-v', '0.0']);
      await execFileAsync(sqlTool, [...base, '--db', db, 'update-schema', '--schema-name', schema]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? String(err);
      throw new ServiceError('temporal_schema_failed', `setting up the Temporal schema in ${db} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
  }
  log.info(`Temporal schemas ready in ${dbs.default} and ${dbs.visibility}`);
}

/**
 * The ports a server on frontend port P uses: gRPC P (frontend), P+1 (history), P+2 (matching), P+3 (worker service),
 * HTTP P+4, membership P+5..P+8, Prometheus metrics P+9.
 */
export function serverPorts(frontend: number) {
  return {
    frontend,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 3,
    http: frontend + 4,
    membership: { frontend: frontend + 5, history: frontend + 6, matching: frontend + 7, worker: frontend + 8 },
    metrics: frontend + 9,
  };
}

const q = (s: string): string => JSON.stringify(s);

/** The server's config file (YAML; every string written as a JSON string, which YAML reads as is). */
export function serverConfigYaml(opts: { dbs: TemporalDatabases; frontendPort: number; dynamicConfigPath: string; numHistoryShards: number }): string {
  const u = new URL(opts.dbs.adminUrl);
  const p = serverPorts(opts.frontendPort);
  const store = (database: string, maxConns: number) => `      sql:
        pluginName: ${q(STACK.temporal.dbPlugin)}
        databaseName: ${q(database)}
        connectAddr: ${q(`${u.hostname}:${u.port || '5432'}`)}
        connectProtocol: "tcp"
        user: ${q(decodeURIComponent(u.username || 'postgres'))}
        password: ${q(decodeURIComponent(u.password))}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (grpc: number, membership: number, http?: number) => `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  return `# Generated by claimdesk stack from src/services/stack-settings.ts; rewritten on every start.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${opts.numHistoryShards}
  datastores:
    default:
${store(opts.dbs.default, 20)}
    visibility:
${store(opts.dbs.visibility, 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: ${q(`127.0.0.1:${p.metrics}`)}
services:
  frontend:
${service(p.frontend, p.membership.frontend, p.http)}
  history:
${service(p.history, p.membership.history)}
  matching:
${service(p.matching, p.membership.matching)}
  worker:
${service(p.worker, p.membership.worker)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: ${q(`127.0.0.1:${p.frontend}`)}
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: ${q(opts.dynamicConfigPath)}
  pollInterval: "10s"
`;
}

/** Registers the namespace (when missing) and waits until the frontend serves it. */
export async function ensureNamespace(address: string, namespace: string, retentionDays: number): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch {
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: retentionDays * 24 * 3600 } as unknown as RetentionPeriod });
      } catch (err) {
        // Registered meanwhile (a second stack process): fine.
        if (!/already exists|AlreadyExists/i.test(err instanceof Error ? err.message : String(err))) throw err;
      }
    }
    // The frontend's namespace cache refreshes every few seconds: list calls fail until it knows the new namespace.
    await waitFor(
      `namespace ${namespace}`,
      async () => {
        try {
          await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
          return true;
        } catch {
          return false;
        }
      },
      60_000,
      500,
    );
  } finally {
    await connection.close();
  }
}

// protobufjs encodes a plain number where its types say Long (an int64); claimdesk does not depend on \`long\` itself.
type RetentionPeriod = NonNullable<Parameters<Connection['workflowService']['registerNamespace']>[0]['workflowExecutionRetentionPeriod']>;

export interface TemporalServerHandle {
  address: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

const FORCE_SA_REFRESH_KEY = 'system.forceSearchAttributesCacheRefreshOnRead';

/**
 * The dynamic config with the search-attribute cache back on (`forceSearchAttributesCacheRefreshOnRead` false), or
 * the text unchanged when it does not set that key to true. Only the value line of that key's first entry changes.
 */
export function withSearchAttributeCache(yaml: string): string {
  const lines = yaml.split('\n');
  const at = lines.findIndex((l) => l.trimEnd() === `${FORCE_SA_REFRESH_KEY}:`);
  if (at < 0) return yaml;
  for (let i = at + 1; i < lines.length && /^\s/.test(lines[i] ?? ''); i++) {
    const m = /^(\s*-\s*value:\s*)true\s*$/.exec(lines[i] ?? '');
    if (m) {
      lines[i] = `${m[1]}false`;
      return lines.join('\n');
    }
  }
  return yaml;
}

/**
 * How long after the search attributes are registered the stack turns the server's search-attribute cache back on.
 * Until then every lookup reads them from the database (deploy/temporal/dynamicconfig.yaml): a cache taken before
 * they were registered lives at most 60 s (the server's refresh interval), so after this nothing can still be using
 * one. The server re-reads the file every 10 s (pollInterval above).
 */
export const SEARCH_ATTRIBUTE_CACHE_AFTER_MS = 65_000;

/**
 * Starts the server with a config written to `stateDir`, registers the namespace and search attributes. The server
 * reads a copy of the dynamic config in `stateDir`: once the attributes are registered and no cache older than them
 * can remain, the copy turns the search-attribute cache back on (B5 on this server: p95 about a fifth lower).
 */
export async function startTemporalServer(
  opts: { binary: string; stateDir: string; dbs: TemporalDatabases; frontendPort: number; dynamicConfigPath: string; namespace: string; retentionDays: number; numHistoryShards: number },
  log: ProgressLog,
): Promise<TemporalServerHandle> {
  const address = `127.0.0.1:${opts.frontendPort}`;
  if (await portAnswers('127.0.0.1', opts.frontendPort)) {
    throw new ServiceError('port_in_use', `port ${opts.frontendPort} is already in use, so the Temporal server cannot start there`);
  }
  const configDir = path.join(opts.stateDir, 'temporal-config');
  mkdirSync(configDir, { recursive: true });
  const dynamicConfig = path.join(configDir, 'dynamicconfig.yaml');
  const dynamicConfigText = readFileSync(opts.dynamicConfigPath, 'utf8');
  writeFileSync(dynamicConfig, dynamicConfigText);
  writeFileSync(path.join(configDir, 'claimdesk.yaml'), serverConfigYaml({ ...opts, dynamicConfigPath: dynamicConfig }));
  let cacheTimer: NodeJS.Timeout | null = null;
  const logFile = path.join(opts.stateDir, 'temporal-server.log');
  const sink = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(opts.binary, ['--root', opts.stateDir, '--config', 'temporal-config', '--env', 'claimdesk', '--allow-no-auth', 'start'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const onData = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8000);
    sink.write(chunk);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited: number | null = null;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code ?? -1;
      resolve();
    }),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    if (cacheTimer) clearTimeout(cacheTimer);
    process.removeListener('exit', killOnExit);
    if (exited === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    sink.end();
  };
  try {
    await waitFor(
      `Temporal server on ${address}`,
      async () => {
        if (exited !== null) throw new ServiceError('temporal_unreachable', `the Temporal server exited with code ${exited} (log: ${logFile}): ${tail.trim().split('\n').slice(-3).join(' | ')}`);
        return connectionAnswers(address);
      },
      120_000,
      500,
    );
    await ensureNamespace(address, opts.namespace, opts.retentionDays);
    await registerSearchAttributes(address, opts.namespace);
    const relaxed = withSearchAttributeCache(dynamicConfigText);
    if (relaxed !== dynamicConfigText) {
      cacheTimer = setTimeout(() => {
        cacheTimer = null;
        try {
          writeFileSync(dynamicConfig, relaxed);
        } catch (err) {
          log.warn(`could not turn the Temporal server's search-attribute cache back on (${dynamicConfig}): ${err instanceof Error ? err.message : String(err)}`);
        }
      }, SEARCH_ATTRIBUTE_CACHE_AFTER_MS);
      cacheTimer.unref();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  log.info(`Temporal server ${STACK.temporal.version} (PostgreSQL) ready on ${address}, log ${logFile}`);
  return { address, pid: child.pid ?? -1, logFile, stop };
}
