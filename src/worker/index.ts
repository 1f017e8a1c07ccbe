import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, Runtime, DefaultLogger, makeTelemetryFilterString, type State, type WorkflowBundleOption } from '@temporalio/worker';
import { OUTBOUND_ACTIVITIES, outboundTaskQueue } from '../domain/task-queues.ts';
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
  /** Slots of the outbound worker (fact-check lookups, webhook deliveries), apart from the ones above. */
  maxConcurrentOutboundActivities?: number;
  shutdownGraceTime?: number;
  /** Verify the actor signatures of Updates (must match the API's key). Unset: the public development key. */
  actorSigningKeys?: ActorSigningKeys;
}

async function bundleCode(option: WorkflowBundleOption | undefined): Promise<string> {
  if (!option) return (await bundleWorkflows()).code;
  return 'code' in option ? option.code : readFile(option.codePath, 'utf8');
}

/**
 * The process's two Temporal workers, run and stopped as one: the main one (workflows, read-model writes, library
 * searches) and the outbound one (outside HTTP services on their own task queue, see src/domain/task-queues.ts).
 */
export class WorkerGroup {
  constructor(
    readonly main: Worker,
    readonly outbound: Worker,
  ) {}

  getState(): State {
    return this.main.getState();
  }

  /** Starts draining both; in-flight activities get the shutdown grace time. */
  shutdown(): void {
    for (const w of [this.main, this.outbound]) if (w.getState() === 'RUNNING') w.shutdown();
  }

  /** Resolves when both have stopped; when one fails the other is stopped too and the failure is thrown. */
  async run(): Promise<void> {
    const runs = [this.main.run(), this.outbound.run()];
    try {
      await Promise.all(runs);
    } catch (err) {
      this.shutdown();
      await Promise.allSettled(runs);
      throw err;
    }
  }
}

export async function createWorker(opts: WorkerOptions): Promise<{ worker: WorkerGroup; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({
    address: opts.address,
    ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
    ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
  });
  const activities = createActivities(opts.deps);
  // In-flight activities get this long to finish when the worker shuts down (SIGTERM drains, it doesn't drop).
  const shutdownGraceTime = opts.shutdownGraceTime ?? '10s';
  const main = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities,
    workflowBundle: { code: injectActorKeys(await bundleCode(opts.workflowBundle), opts.actorSigningKeys ?? DEV_ACTOR_SIGNING_KEYS) },
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 50,
    shutdownGraceTime,
  });
  const outbound = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: outboundTaskQueue(opts.taskQueue),
    activities: Object.fromEntries(OUTBOUND_ACTIVITIES.map((name) => [name, activities[name]])),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentOutboundActivities ?? 20,
    shutdownGraceTime,
  });
  return { worker: new WorkerGroup(main, outbound), connection };
}
