// Records real workflow histories for the replay test: `npm run record:histories [-- [--tag T] [scenario ...]]`.
// Starts its own Postgres database and Temporal dev server, runs every scenario, writes
// test/workflows/histories/<scenario>[-<n>].json and tears everything down.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { createDb } from '../../db/index.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import { loadConfig } from '../../src/config/index.ts';
import { freePort } from '../../src/services/net.ts';
import { dropDatabase, ensureDatabase, provisionPostgres, withDatabase } from '../../src/services/postgres.ts';
import { provisionTemporal } from '../../src/services/temporal.ts';
import { createWorker, installRuntime } from '../../src/worker/index.ts';
import { historyToJson } from './history-json.ts';
import { SCENARIOS } from './scenarios.ts';

const outDir = fileURLToPath(new URL('./histories/', import.meta.url));
const log = { info: (m: string) => console.log(`[record] ${m}`), warn: (m: string) => console.warn(`[record] ${m}`) };
// `--tag T` writes <scenario>@T.json beside the histories already recorded, so the paths a patch added are guarded
// as well as the ones recorded before it (which running claims may still be on); the rest of the arguments name scenarios.
const args = process.argv.slice(2);
const tagAt = args.indexOf('--tag');
const tag = tagAt === -1 ? null : args[tagAt + 1];
if (tagAt !== -1 && !tag?.match(/^[a-z0-9-]+$/)) throw new Error('--tag needs a name of lowercase letters, digits and dashes');
const only = tagAt === -1 ? args : args.filter((_, i) => i !== tagAt && i !== tagAt + 1);

const config = loadConfig();
const pg = await provisionPostgres(
  { databaseUrl: config.DATABASE_URL, mode: config.CLAIMDESK_POSTGRES, localUrl: config.LOCAL_POSTGRES_URL, database: 'postgres', stateDir: config.stateDir, embeddedPort: config.EMBEDDED_POSTGRES_PORT },
  log,
);
const dbName = `claimdesk_histories_${Date.now().toString(36)}`;
await ensureDatabase(pg.adminUrl, dbName);
const db = createDb(withDatabase(pg.adminUrl, dbName), { max: 5 });
const temporal = await provisionTemporal({ namespace: 'default', cliPath: config.TEMPORAL_CLI_PATH, envPath: process.env.PATH, devPort: await freePort(), uiPort: null, dbFilename: null, logFile: null }, log);
const quiet = pino({ level: 'silent' });
installRuntime(quiet, 0);
const taskQueue = `record-histories-${Date.now().toString(36)}`;
let exitCode = 0;
try {
  await migrateToLatest(db);
  const { worker, connection: workerConnection } = await createWorker({ address: temporal.address, namespace: 'default', taskQueue, deps: { db, log: quiet, settings: TEST_ACTIVITY_SETTINGS }, shutdownGraceTime: 2000 });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: 'default' });
  mkdirSync(outDir, { recursive: true });
  try {
    for (const scenario of SCENARIOS) {
      if (only.length > 0 && !only.includes(scenario.name)) continue;
      const executions = await scenario.run({ db, client, taskQueue });
      for (const [i, execution] of executions.entries()) {
        const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
        const file = path.join(outDir, `${scenario.name}${executions.length > 1 ? `-${i + 1}` : ''}${tag ? `@${tag}` : ''}.json`);
        writeFileSync(file, `${JSON.stringify({ workflowId: execution.workflowId, history: historyToJson(history) }, null, 1)}\n`);
        log.info(`${path.basename(file)}: ${history.events?.length ?? 0} events`);
      }
    }
  } finally {
    worker.shutdown();
    await running;
    await workerConnection.close();
    await connection.close();
  }
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await db.destroy();
  await temporal.stop();
  await dropDatabase(pg.adminUrl, dbName).catch(() => undefined);
  await pg.stop();
}
process.exit(exitCode);
