import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, Runtime, DefaultLogger, makeTelemetryFilterString, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from '../logging/logger.ts';
import { createActivities, type ActivityDeps } from '../../activities/index.ts';

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

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per run); otherwise the worker bundles workflows/index.ts itself. */
  workflowBundle?: WorkflowBundleOption;
  maxConcurrentActivityTaskExecutions?: number;
  shutdownGraceTime?: number;
}

export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 50,
    // In-flight activities get this long to finish when the worker shuts down (SIGTERM drains, it doesn't drop).
    shutdownGraceTime: opts.shutdownGraceTime ?? '10s',
  });
  return { worker, connection };
}
