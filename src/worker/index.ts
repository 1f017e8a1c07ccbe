import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, Runtime, DefaultLogger, makeTelemetryFilterString, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from '../logging/logger.ts';
import type { TemporalConnectOptions } from '../services/temporal-connection.ts';
import { createActivities, type ActivityDeps } from '../../activities/index.ts';
import { actorKeyBytes, DEV_ACTOR_SIGNING_KEYS, type ActorSigningKeys } from '../domain/actor-signature.ts';

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

let runtimeInstalled = false;

/**
 * Installs the SDK runtime once per process: core logs go to pino, SDK metrics to a Prometheus endpoint
 * when a port is given (0 = off).
 */
export function installRuntime(log: Logger, metricsPort: number): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      const level = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : 'debug';
      log[level]({ sdk: entry.meta }, entry.message);
    }),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(metricsPort > 0 ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}` } } } : {}),
    },
  });
}

export async function bundleWorkflows(): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
}

/** The literal in workflows/actor-auth.ts that each worker replaces with its keys. */
export const ACTOR_KEYS_PLACEHOLDER = '__CLAIMDESK_ACTOR_SIGNING_KEYS__';

/**
 * The worker's own copy of the workflow bundle with its actor signing keys written in (hex, comma-separated), so the
 * keys live only in this process's memory and never in workflow input or history. One bundle serves any key: tests
 * bundle once, each worker injects its own.
 */
export function injectActorKeys(code: string, keys: ActorSigningKeys): string {
  const parts = code.split(ACTOR_KEYS_PLACEHOLDER);
  if (parts.length < 2) throw new Error('the workflow bundle has no actor-key placeholder (workflows/actor-auth.ts): it cannot check signed actors');
  const hex = [keys.current, ...keys.previous].map((k) => Buffer.from(actorKeyBytes(k)).toString('hex')).join(',');
  return parts.join(hex);
}

export interface WorkerOptions {
  address: string;
  /** TLS (CA, client certificate and key, server name) and API key, as src/services/temporal-connection.ts builds them. */
  tls?: TemporalConnectOptions['tls'];
  apiKey?: string;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per run); otherwise the worker bundles workflows/index.ts itself. */
  workflowBundle?: WorkflowBundleOption;
  maxConcurrentActivityTaskExecutions?: number;
  shutdownGraceTime?: number;
  /** Verify the actor signatures of Updates (must match the API's key). Unset: the public development key. */
  actorSigningKeys?: ActorSigningKeys;
}

async function bundleCode(option: WorkflowBundleOption | undefined): Promise<string> {
  if (!option) return (await bundleWorkflows()).code;
  return 'code' in option ? option.code : readFile(option.codePath, 'utf8');
}

export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({
    address: opts.address,
    ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
    ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
  });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    workflowBundle: { code: injectActorKeys(await bundleCode(opts.workflowBundle), opts.actorSigningKeys ?? DEV_ACTOR_SIGNING_KEYS) },
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 50,
    // In-flight activities get this long to finish when the worker shuts down (SIGTERM drains, it doesn't drop).
    shutdownGraceTime: opts.shutdownGraceTime ?? '10s',
  });
  return { worker, connection };
}
