// A claimdesk API in its own process, so the reliability suite can kill it mid-request and start another, and point it
// at Postgres through a proxy it can cut.
// Usage: node --import tsx test/reliability/api-process.ts <temporalAddress> <databaseUrl> <taskQueue> <port> [idempotencyTakeoverMs]
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { createDb } from '../../db/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { createClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { loadConfig } from '../../src/config/index.ts';

const [address, databaseUrl, taskQueue, port, takeoverMs] = process.argv.slice(2);
if (!address || !databaseUrl || !taskQueue || !port) {
  console.error('usage: api-process.ts <temporalAddress> <databaseUrl> <taskQueue> <port>');
  process.exit(2);
}
const log = pino({ level: 'warn' });
const db = createDb(databaseUrl, { max: 10, applicationName: 'claimdesk-reliability-api' });
const connection = await Connection.connect({ address });
const client = new Client({ connection, namespace: 'default' });
const config = loadConfig({ PORT: port, HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '100000', PUBLISHER_URL: 'https://factcheck.example.org' });
const app = await buildApp({
  db,
  temporal: client,
  claimWorkflows: createClaimWorkflows(client, { taskQueue }),
  config,
  log,
  databaseUrl,
  options: { dashboardCacheMs: 0, ...(takeoverMs ? { idempotencyStaleAfterMs: Number(takeoverMs) } : {}) },
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => connection.close())
    .then(() => db.destroy())
    .then(() => process.exit(0));
});
console.log('api ready');
