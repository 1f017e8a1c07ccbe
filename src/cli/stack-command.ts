// `claimdesk stack`: the production shape of docker-compose.yml as separate processes on one machine — the real
// Temporal server on PostgreSQL, `claimdesk migrate`, two workers and two API processes — from the settings in
// src/services/stack-settings.ts, which the compose file is checked against.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, type Config } from '../config/index.ts';
import type { Logger } from '../logging/logger.ts';
import { ServiceError } from '../services/errors.ts';
import { portAnswers, waitFor } from '../services/net.ts';
import { ensureDatabase, provisionPostgres, withDatabase } from '../services/postgres.ts';
import type { ProgressLog } from '../services/progress-log.ts';
import { STACK } from '../services/stack-settings.ts';
import { ensureTemporalServerBinaries, serverPorts, setupTemporalSchema, startTemporalServer, type TemporalServerHandle } from '../services/temporal-server.ts';

const claimdeskBin = fileURLToPath(new URL('../../bin/claimdesk.js', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface StackOptions {
  /** Maintenance URL of the PostgreSQL server that holds claimdesk's database and Temporal's two. */
  adminUrl: string;
  claimdeskDatabase: string;
  temporalDatabases: { default: string; visibility: string };
  temporalPort: number;
  apiPorts: readonly number[];
  workerMetricsPorts: readonly number[];
  stateDir: string;
  /** More environment for the claimdesk processes (a test's task queue, rate limit, log level). */
  env?: Record<string, string>;
  envPath?: string | undefined;
}

export interface StackProcess {
  name: string;
  role: 'api' | 'worker';
  child: ChildProcess;
  logFile: string;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StackHandle {
  temporal: TemporalServerHandle;
  databaseUrl: string;
  processes: StackProcess[];
  apiUrls: string[];
  stop(): Promise<void>;
}

function claimdeskEnv(opts: StackOptions, databaseUrl: string, address: string): NodeJS.ProcessEnv {
  return { ...childEnv(), ...STACK.claimdeskEnv, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address, CLAIMDESK_STATE_DIR: opts.stateDir, ...opts.env };
}

function spawnClaimdesk(args: string[], env: NodeJS.ProcessEnv, logFile: string): { child: ChildProcess; exited: StackProcess['exited']; output: () => string } {
  const sink = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [claimdeskBin, ...args], { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const onData = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8000);
    sink.write(chunk);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      sink.end();
      resolve({ code, signal });
    }),
  );
  return { child, exited, output: () => tail };
}

async function stopProcess(p: { child: ChildProcess; exited: StackProcess['exited'] }, graceMs: number): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** Starts every part and waits until each is ready; on a failure stops what had started and throws. */
export async function startStack(opts: StackOptions, log: ProgressLog): Promise<StackHandle> {
  const logDir = path.join(opts.stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const processes: StackProcess[] = [];
  let temporal: TemporalServerHandle | null = null;
  const stopAll = async () => {
    // APIs first (no new work comes in), then workers drain, then the server.
    for (const role of ['api', 'worker'] as const) await Promise.all(processes.filter((p) => p.role === role).map((p) => stopProcess(p, 15_000)));
    await temporal?.stop();
  };
  try {
    for (const port of [...serverPortList(opts.temporalPort), ...opts.apiPorts, ...opts.workerMetricsPorts]) {
      if (await portAnswers('127.0.0.1', port, 300)) throw new ServiceError('port_in_use', `port ${port} is already in use; the stack needs ports ${describePorts(opts)}`);
    }
    const binaries = await ensureTemporalServerBinaries(log, opts.envPath);
    const dbs = { adminUrl: opts.adminUrl, ...opts.temporalDatabases };
    await setupTemporalSchema(binaries.sqlTool, dbs, log);
    temporal = await startTemporalServer(
      {
        binary: binaries.server,
        stateDir: opts.stateDir,
        dbs,
        frontendPort: opts.temporalPort,
        dynamicConfigPath: path.join(repoRoot, STACK.temporal.dynamicConfig),
        namespace: STACK.temporal.namespace,
        retentionDays: STACK.temporal.retentionDays,
        numHistoryShards: STACK.temporal.numHistoryShards,
      },
      log,
    );
    await ensureDatabase(opts.adminUrl, opts.claimdeskDatabase);
    const databaseUrl = withDatabase(opts.adminUrl, opts.claimdeskDatabase);
    const env = claimdeskEnv(opts, databaseUrl, temporal.address);

    const migrate = spawnClaimdesk(['migrate'], env, path.join(logDir, 'migrate.log'));
    const migrated = await migrate.exited;
    if (migrated.code !== 0) throw new ServiceError('migration_failed', `claimdesk migrate exited with ${migrated.code ?? migrated.signal}: ${migrate.output().trim().split('\n').slice(-3).join(' | ')}`);
    log.info('claimdesk migrations applied');

    const ready: Promise<void>[] = [];
    opts.workerMetricsPorts.forEach((metricsPort, i) => {
      const name = `worker-${i + 1}`;
      const logFile = path.join(logDir, `${name}.log`);
      // Readiness is the worker's own 'worker running' line (info): a quieter LOG_LEVEL would hide it, so workers log
      // at info at least (their logs go to files, not the terminal).
      const quiet = ['warn', 'error', 'fatal', 'silent'].includes(String(env.LOG_LEVEL ?? 'info'));
      const p = spawnClaimdesk(['worker'], { ...env, WORKER_METRICS_PORT: String(metricsPort), ...(quiet ? { LOG_LEVEL: 'info' } : {}) }, logFile);
      processes.push({ name, role: 'worker', child: p.child, exited: p.exited, logFile, port: metricsPort });
      ready.push(untilReady(name, logFile, p, async () => p.output().includes('worker running')));
    });
    opts.apiPorts.forEach((port, i) => {
      const name = `api-${i + 1}`;
      const logFile = path.join(logDir, `${name}.log`);
      const p = spawnClaimdesk(['api'], { ...env, PORT: String(port), HOST: '127.0.0.1', PUBLISHER_URL: env.PUBLISHER_URL ?? `http://localhost:${port}` }, logFile);
      processes.push({ name, role: 'api', child: p.child, exited: p.exited, logFile, port });
      ready.push(
        untilReady(name, logFile, p, async () => {
          try {
            return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
          } catch {
            return false;
          }
        }),
      );
    });
    await Promise.all(ready);
    return { temporal, databaseUrl, processes, apiUrls: opts.apiPorts.map((p) => `http://127.0.0.1:${p}`), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function untilReady(name: string, logFile: string, p: { exited: StackProcess['exited']; output: () => string; child: ChildProcess }, check: () => Promise<boolean>): Promise<void> {
  await waitFor(
    name,
    async () => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new ServiceError('stack_failed', `${name} exited before it was ready (log ${logFile}): ${p.output().trim().split('\n').slice(-3).join(' | ')}`);
      }
      return check();
    },
    180_000,
    300,
  );
}

function serverPortList(frontend: number): number[] {
  const p = serverPorts(frontend);
  return [p.frontend, p.history, p.matching, p.worker, p.http, ...Object.values(p.membership), p.metrics];
}

function describePorts(opts: StackOptions): string {
  return `${opts.temporalPort}-${opts.temporalPort + 9} (Temporal), ${opts.apiPorts.join(', ')} (API), ${opts.workerMetricsPorts.join(', ')} (worker metrics)`;
}

function parsePorts(value: string | undefined, fallback: readonly number[], what: string): number[] {
  if (value === undefined) return [...fallback];
  const ports = value.split(',').map((v) => Number(v.trim()));
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new ServiceError('bad_option', `${what} must be a comma-separated list of ports, got "${value}"`);
  return ports;
}

/** `claimdesk stack`: runs until Ctrl-C, then stops everything (APIs, then workers drain, then the server). */
export async function runStack(config: Config, log: Logger, flags: { temporalPort?: string; apiPorts?: string; workerMetricsPorts?: string }): Promise<void> {
  const temporalPort = flags.temporalPort === undefined ? STACK.temporal.frontendPort : Number(flags.temporalPort);
  // Temporal keeps its membership ports (P+5..P+8) in a smallint column: the block must end below 32768.
  if (!Number.isInteger(temporalPort) || temporalPort < 1 || temporalPort > 32758) throw new ServiceError('bad_option', `--temporal-port must be a port number up to 32758 (the server's membership ports, up to P+8, must fit a smallint), got "${flags.temporalPort}"`);
  const apiPorts = parsePorts(flags.apiPorts, STACK.api.ports, '--api-ports');
  const workerMetricsPorts = parsePorts(flags.workerMetricsPorts, STACK.worker.metricsPorts, '--worker-metrics-ports');
  const started = Date.now();
  const pg = await provisionPostgres(
    { databaseUrl: config.DATABASE_URL, mode: config.CLAIMDESK_POSTGRES, localUrl: config.LOCAL_POSTGRES_URL, database: config.DATABASE_NAME, stateDir: config.stateDir, embeddedPort: config.EMBEDDED_POSTGRES_PORT },
    log,
  );
  const stack = await startStack(
    {
      adminUrl: pg.adminUrl,
      claimdeskDatabase: new URL(pg.url).pathname.slice(1) || config.DATABASE_NAME,
      temporalDatabases: STACK.temporal.databases,
      temporalPort,
      apiPorts,
      workerMetricsPorts,
      stateDir: path.join(config.stateDir, 'stack'),
      envPath: childEnv().PATH,
    },
    log,
  ).catch(async (err: unknown) => {
    await pg.stop();
    throw err;
  });
  process.stdout.write(
    `\n${[
      `claimdesk stack ready in ${((Date.now() - started) / 1000).toFixed(1)}s`,
      `  Temporal server ${STACK.temporal.version} on PostgreSQL: ${stack.temporal.address} (pid ${stack.temporal.pid}, log ${stack.temporal.logFile})`,
      ...stack.processes.map((p) => `  ${p.name.padEnd(9)} pid ${String(p.child.pid).padEnd(7)} ${p.role === 'api' ? `http://localhost:${p.port}` : `metrics http://localhost:${p.port}/metrics`}   log ${p.logFile}`),
      `  claimdesk database: ${new URL(stack.databaseUrl).pathname.slice(1)}; Temporal databases: ${STACK.temporal.databases.default}, ${STACK.temporal.databases.visibility}`,
      '  Ctrl-C stops everything.',
    ].join('\n')}\n\n`,
  );
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      log.info('stopping the stack (APIs, then workers drain, then the Temporal server)');
      void stack.stop().then(async () => {
        await pg.stop();
        resolve();
      });
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
