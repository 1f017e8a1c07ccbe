import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { createDb, type Db } from '../../db/index.ts';
import type { ActivityDeps } from '../../activities/index.ts';
import { TEST_ACTIVITY_SETTINGS } from './activity-settings.ts';
import { createWorker, installRuntime, type WorkerGroup, type WorkerOptions } from '../../src/worker/index.ts';
import { testLogger } from './error-logs.ts';
import { fileDatabaseUrl } from './test-database.ts';

export { expectErrorLog, testLogger } from './error-logs.ts';

export interface TestEnv {
  db: Db;
  connection: Connection;
  client: Client;
  databaseUrl: string;
  temporalAddress: string;
  close(): Promise<void>;
}

/** Connects to this test file's own database and the run's Temporal server (started by test/global-setup.ts). */
export async function openTestEnv(): Promise<TestEnv> {
  const databaseUrl = await fileDatabaseUrl();
  const temporalAddress = inject('temporalAddress');
  const db = createDb(databaseUrl, { max: 5, applicationName: 'claimdesk-test' });
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  return {
    db,
    connection,
    client,
    databaseUrl,
    temporalAddress,
    close: async () => {
      await connection.close();
      await db.destroy();
    },
  };
}

/** A unique task queue per test file keeps one file's worker from picking up another file's workflows. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function startTestWorker(
  env: TestEnv,
  taskQueue: string,
  deps: Partial<ActivityDeps> = {},
  options: Pick<WorkerOptions, 'actorSigningKeys' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentOutboundActivities'> = {},
): Promise<{ worker: WorkerGroup; stop: () => Promise<void> }> {
  installRuntime(testLogger, 0);
  const { worker, connection } = await createWorker({
    address: env.temporalAddress,
    namespace: 'default',
    taskQueue,
    deps: { db: env.db, log: testLogger, settings: TEST_ACTIVITY_SETTINGS, ...deps },
    workflowBundle: { codePath: inject('workflowBundlePath') },
    shutdownGraceTime: 2000,
    ...options,
  });
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
