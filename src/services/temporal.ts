import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../domain/search-attributes.ts';
import { ServiceError } from './errors.ts';
import { portAnswers, waitFor } from './net.ts';
import type { ProgressLog } from './progress-log.ts';
import { STACK } from './stack-settings.ts';
import { plainConnectOptions, type TemporalConnectOptions } from './temporal-connection.ts';

const execFileAsync = promisify(execFile);
export const TEMPORAL_CLI_MODULE = STACK.temporal.cliPackage;

export interface TemporalHandle {
  address: string;
  /** How to connect to it (TLS and API key for a configured server; plain for a dev server claimdesk runs). */
  connect: TemporalConnectOptions;
  uiUrl: string | null;
  stop(): Promise<void>;
}

async function which(cmd: string, envPath: string | undefined): Promise<string | null> {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export async function goBinDir(go: string): Promise<string | null> {
  try {
    const { stdout } = await execFileAsync(go, ['env', 'GOBIN', 'GOPATH']);
    const [gobin, gopath] = stdout.split('\n');
    if (gobin?.trim()) return gobin.trim();
    if (gopath?.trim()) return path.join(gopath.trim().split(path.delimiter)[0] ?? '', 'bin');
  } catch {
    return null;
  }
  return null;
}

export async function findGo(envPath: string | undefined): Promise<string | null> {
  return (await which('go', envPath)) ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
}

/** Finds the `temporal` CLI: TEMPORAL_CLI_PATH, then PATH, then Go's bin directory. */
export async function findTemporalBinary(opts: { cliPath?: string | undefined; envPath?: string | undefined }): Promise<string | null> {
  if (opts.cliPath) {
    if (!existsSync(opts.cliPath)) {
      throw new ServiceError('temporal_missing', `TEMPORAL_CLI_PATH points at ${opts.cliPath}, which does not exist`);
    }
    return opts.cliPath;
  }
  const onPath = await which('temporal', opts.envPath);
  if (onPath) return onPath;
  const go = await findGo(opts.envPath);
  if (go) {
    const bin = await goBinDir(go);
    if (bin && existsSync(path.join(bin, 'temporal'))) return path.join(bin, 'temporal');
  }
  // Go's default GOPATH, for when `go` itself is not on PATH.
  const defaultGoBin = path.join(os.homedir(), 'go', 'bin', 'temporal');
  if (existsSync(defaultGoBin)) return defaultGoBin;
  return null;
}

/** One-time build of the Temporal CLI from the Go module proxy, with progress on the log. */
export async function buildTemporalBinary(log: ProgressLog, envPath: string | undefined): Promise<string | null> {
  const go = await findGo(envPath);
  if (!go) return null;
  log.info(`Temporal CLI not found: building it once with \`go install ${TEMPORAL_CLI_MODULE}\` (a one-time build, a few minutes)...`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', '-v', TEMPORAL_CLI_MODULE], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        lines += 1;
        if (lines % 50 === 0 || line.startsWith('go: downloading github.com/temporalio')) {
          log.info(`  temporal build: ${lines} steps, ${Math.round((Date.now() - started) / 1000)}s (${line.trim().slice(0, 80)})`);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new ServiceError('temporal_build_failed', `go install ${TEMPORAL_CLI_MODULE} failed (exit ${code}): ${tail.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
  log.info(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)}s`);
  const bin = await goBinDir(go);
  const built = bin ? path.join(bin, 'temporal') : null;
  return built && existsSync(built) ? built : null;
}

export async function connectionAnswers(target: string | TemporalConnectOptions): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...(typeof target === 'string' ? { address: target } : target), connectTimeout: 2000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** What claimdesk does about missing search attributes at start (TEMPORAL_SEARCH_ATTRIBUTES). */
export type SearchAttributeMode = 'register' | 'warn' | 'fail';

/** The commands an operator runs to register the missing attributes (what deploy/temporal/register-search-attributes.sh runs). */
export function searchAttributeCommands(namespace: string, names: readonly string[]): string[] {
  return names.map((name) => `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${CUSTOM_SEARCH_ATTRIBUTES[name] ?? 'Keyword'}`);
}

async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  return Object.keys(CUSTOM_SEARCH_ATTRIBUTES).filter((name) => !have.has(name));
}

/** Registers the missing custom search attributes (needs operator rights); returns the names it added. */
export async function registerSearchAttributes(target: string | TemporalConnectOptions, namespace: string): Promise<string[]> {
  const connection = await Connection.connect(typeof target === 'string' ? { address: target } : target);
  try {
    const missing = await missingSearchAttributes(connection, namespace);
    const types = proto.temporal.api.enums.v1.IndexedValueType;
    const attrs: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {};
    for (const name of missing) attrs[name] = CUSTOM_SEARCH_ATTRIBUTES[name] === 'Keyword' ? types.INDEXED_VALUE_TYPE_KEYWORD : types.INDEXED_VALUE_TYPE_TEXT;
    if (missing.length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: attrs });
    return missing;
  } finally {
    await connection.close();
  }
}

/**
 * Checks at start that the search attributes the workflows upsert exist (a workflow upserting an unknown one fails its
 * task). Registering needs operator rights and is impossible on Temporal Cloud, so only `register` mode (the dev server
 * claimdesk runs itself) adds them; `warn` logs the commands to run, `fail` stops with them.
 */
export async function checkSearchAttributes(
  target: string | TemporalConnectOptions,
  namespace: string,
  mode: SearchAttributeMode,
  log: Pick<ProgressLog, 'warn'>,
): Promise<{ missing: string[]; registered: string[] }> {
  if (mode === 'register') {
    const registered = await registerSearchAttributes(target, namespace);
    return { missing: [], registered };
  }
  const connection = await Connection.connect(typeof target === 'string' ? { address: target } : target);
  let missing: string[];
  try {
    missing = await missingSearchAttributes(connection, namespace);
  } catch (err) {
    // Some deployments do not let a client list them (no operator read rights): say so, do not guess.
    log.warn(`could not list the search attributes of namespace ${namespace} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); make sure ${Object.keys(CUSTOM_SEARCH_ATTRIBUTES).join(', ')} exist (deploy/temporal/register-search-attributes.sh)`);
    return { missing: [], registered: [] };
  } finally {
    await connection.close();
  }
  if (missing.length === 0) return { missing, registered: [] };
  const commands = searchAttributeCommands(namespace, missing);
  const message = `namespace ${namespace} lacks the search attributes ${missing.join(', ')}: workflows that set them fail until an operator runs:\n  ${commands.join('\n  ')}\n(or deploy/temporal/register-search-attributes.sh ${namespace}; on Temporal Cloud add them as Keyword attributes with tcld or the Cloud UI)`;
  if (mode === 'fail') throw new ServiceError('temporal_search_attributes', message);
  log.warn(message);
  return { missing, registered: [] };
}

export interface DevServerOptions {
  binary: string;
  port: number;
  uiPort: number | null;
  dbFilename: string | null;
  logFile: string | null;
  namespace: string;
}

export function devServerArgs(opts: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  if (opts.dbFilename) {
    args.push('--db-filename', opts.dbFilename);
    // WAL keeps the SQLite store fast under many small writes; claimdesk's records live in Postgres, not here.
    args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF');
  }
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  for (const key of [
    'frontend.enableUpdateWorkflowExecution',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted',
    'frontend.enableExecuteMultiOperation',
    'system.enableEagerWorkflowStart',
  ]) {
    args.push('--dynamic-config-value', `${key}=true`);
  }
  // Two settings for speed (bench/README.md, B5: the 30-article burst's p95 about a fifth lower with both):
  // - The CLI turns on a search-attribute lookup from its database on every read, for attributes created while it
  //   runs; claimdesk's are written into the dev server's store before it starts (--search-attribute below), so the
  //   server's usual cache is right from the start.
  // - Activities the worker can take at once are handed back with the workflow task's answer instead of going
  //   through the task queue (the SDK asks for it; the server only grants it when this is on).
  args.push('--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false');
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  for (const [name, kind] of Object.entries(CUSTOM_SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${kind}`);
  return args;
}

export async function startDevServer(opts: DevServerOptions, log: ProgressLog): Promise<TemporalHandle> {
  const address = `127.0.0.1:${opts.port}`;
  if (await portAnswers('127.0.0.1', opts.port)) {
    throw new ServiceError('port_in_use', `port ${opts.port} is already in use, so the Temporal dev server cannot start there; set TEMPORAL_DEV_PORT to a free port, or TEMPORAL_ADDRESS to use the server already running`);
  }
  if (opts.dbFilename) mkdirSync(path.dirname(opts.dbFilename), { recursive: true });
  const child = spawn(opts.binary, devServerArgs(opts), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const sink = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : null;
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
    sink?.write(chunk);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitFor(
      `Temporal dev server on ${address}`,
      async () => {
        if (exited !== null) {
          throw new ServiceError('temporal_unreachable', `the Temporal dev server exited with code ${exited}: ${output.trim().split('\n').slice(-3).join(' | ')}`);
        }
        return connectionAnswers(address);
      },
      60_000,
      250,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  log.info(`Temporal dev server ready on ${address}${opts.uiPort !== null ? `, UI at http://localhost:${opts.uiPort}` : ''}`);
  return {
    address,
    connect: plainConnectOptions(address),
    uiUrl: opts.uiPort !== null ? `http://localhost:${opts.uiPort}` : null,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (exited !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
      sink?.end();
    },
  };
}

/**
 * Gives claimdesk a Temporal server: TEMPORAL_ADDRESS when set, else a dev server it starts itself
 * (building the CLI once when Go is present, else trying the SDK's download).
 */
export async function provisionTemporal(
  opts: {
    address?: string | undefined;
    /** TLS / API key for a configured TEMPORAL_ADDRESS. */
    connect?: TemporalConnectOptions;
    /** Search attributes on a configured server (a dev server started here is given them at start). */
    searchAttributes?: SearchAttributeMode;
    namespace: string;
    cliPath?: string | undefined;
    envPath?: string | undefined;
    devPort: number;
    uiPort: number | null;
    dbFilename: string | null;
    logFile: string | null;
  },
  log: ProgressLog,
): Promise<TemporalHandle> {
  if (opts.address) {
    const connect = opts.connect ?? plainConnectOptions(opts.address);
    if (!(await connectionAnswers(connect))) {
      throw new ServiceError('temporal_unreachable', `Temporal at ${opts.address} (TEMPORAL_ADDRESS) is unreachable`);
    }
    await checkSearchAttributes(connect, opts.namespace, opts.searchAttributes ?? 'warn', log);
    return { address: opts.address, connect, uiUrl: null, stop: async () => undefined };
  }
  let binary = await findTemporalBinary({ cliPath: opts.cliPath, envPath: opts.envPath });
  if (!binary) binary = await buildTemporalBinary(log, opts.envPath);
  if (binary) {
    return startDevServer({ binary, port: opts.devPort, uiPort: opts.uiPort, dbFilename: opts.dbFilename, logFile: opts.logFile, namespace: opts.namespace }, log);
  }
  return startDownloadedServer(opts, log);
}

async function startDownloadedServer(
  opts: { namespace: string; devPort: number; uiPort: number | null; dbFilename: string | null },
  log: ProgressLog,
): Promise<TemporalHandle> {
  log.warn('No temporal binary and no Go toolchain: trying the Temporal SDK download of a dev server (needs internet)...');
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port: opts.devPort,
        ui: opts.uiPort !== null,
        ...(opts.uiPort !== null ? { uiPort: opts.uiPort } : {}),
        ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
        namespace: opts.namespace,
        searchAttributes: [],
        extraArgs: devServerArgs({ binary: '', port: opts.devPort, uiPort: opts.uiPort, dbFilename: null, logFile: null, namespace: opts.namespace })
          .filter((a, i, all) => a.startsWith('--dynamic-config-value') || a.startsWith('--search-attribute') || all[i - 1]?.startsWith('--dynamic-config-value') || all[i - 1]?.startsWith('--search-attribute')),
      },
    });
    const address = `127.0.0.1:${opts.devPort}`;
    return { address, connect: plainConnectOptions(address), uiUrl: opts.uiPort !== null ? `http://localhost:${opts.uiPort}` : null, stop: () => env.teardown() };
  } catch (err) {
    throw new ServiceError(
      'temporal_missing',
      `no Temporal server available: set TEMPORAL_ADDRESS to a running server, or install the Temporal CLI (\`go install ${TEMPORAL_CLI_MODULE}\` with Go >= 1.23, then put it on PATH or set TEMPORAL_CLI_PATH); the SDK download also failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
}
