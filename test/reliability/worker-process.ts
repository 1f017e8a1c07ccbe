// A claimdesk worker in its own process, so the reliability test can SIGKILL it mid-flight.
// Usage: node --import tsx test/reliability/worker-process.ts <temporalAddress> <databaseUrl> <taskQueue> <workflowBundlePath>
import { pino } from 'pino';
import { createDb } from '../../db/index.ts';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import { createWorker, installRuntime } from '../../src/worker/index.ts';

const [address, databaseUrl, taskQueue, bundlePath] = process.argv.slice(2);
if (!address || !databaseUrl || !taskQueue || !bundlePath) {
  console.error('usage: worker-process.ts <temporalAddress> <databaseUrl> <taskQueue> <workflowBundlePath>');
  process.exit(2);
}
const log = pino({ level: 'warn' });
installRuntime(log, 0);
const db = createDb(databaseUrl, { max: 5, applicationName: 'claimdesk-reliability-worker' });
const { worker, connection } = await createWorker({
  address,
  namespace: 'default',
  taskQueue,
  deps: { db, log, settings: TEST_ACTIVITY_SETTINGS },
  workflowBundle: { codePath: bundlePath },
  shutdownGraceTime: 5000,
});
// SIGTERM drains: no new tasks are polled, in-flight activities get the grace time to finish.
process.once('SIGTERM', () => worker.shutdown());
const running = worker.run();
console.log('worker ready');
await running;
await connection.close();
await db.destroy();
console.log('worker drained');
