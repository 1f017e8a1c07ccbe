import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb } from '../db/index.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { loadConfig } from '../src/config/index.ts';
import { freePort } from '../src/services/net.ts';
import { dropDatabase, ensureDatabase, provisionPostgres, withDatabase } from '../src/services/postgres.ts';
import { findTemporalBinary, provisionTemporal } from '../src/services/temporal.ts';
import { bundleWorkflows } from '../src/worker/index.ts';
import { ID_BLOCKS_SEQUENCE } from './support/id-blocks.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    /** The migrated database every test file's own database is cloned from (test/support/test-database.ts); never connected to. */
    templateDatabaseName: string;
    temporalAddress: string;
    workflowBundlePath: string;
    temporalCliPath: string;
    /** Every database a test creates is named with this prefix, so the run can sweep them all. */
    runDatabaseName: string;
  }
}

const RUN_PREFIX = 'claimdesk_test_';

async function databasesStartingWith(adminUrl: string, prefix: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const res = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [prefix]);
    return res.rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A run that was killed never ran its teardown: drop its databases once its process is gone. */
async function sweepAbandonedDatabases(adminUrl: string): Promise<void> {
  for (const name of await databasesStartingWith(adminUrl, RUN_PREFIX)) {
    const pid = Number(/^claimdesk_test_[0-9a-z]+_(\d+)/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) await dropDatabase(adminUrl, name).catch(() => undefined);
  }
}

const log = { info: (m: string) => console.log(`[setup] ${m}`), warn: (m: string) => console.warn(`[setup] ${m}`) };

/**
 * One Temporal dev server (in memory, on a free port) and one migrated template database per test run, from which
 * each test file gets its own database (test/support/test-database.ts); all are gone when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = loadConfig({ CLAIMDESK_STATE_DIR: process.env.CLAIMDESK_STATE_DIR });
  const started = Date.now();
  const postgres = await provisionPostgres(
    { databaseUrl: config.DATABASE_URL, mode: config.CLAIMDESK_POSTGRES, localUrl: config.LOCAL_POSTGRES_URL, database: 'postgres', stateDir: config.stateDir, embeddedPort: config.EMBEDDED_POSTGRES_PORT },
    log,
  );
  await sweepAbandonedDatabases(postgres.adminUrl);
  const dbName = `${RUN_PREFIX}${Date.now().toString(36)}_${process.pid}`;
  // The run's database only hands out id blocks; the migrated template is a second one, because Postgres copies a
  // template only while nobody is connected to it.
  await ensureDatabase(postgres.adminUrl, dbName);
  const blocks = new pg.Client({ connectionString: withDatabase(postgres.adminUrl, dbName) });
  await blocks.connect();
  await blocks.query(`CREATE SEQUENCE IF NOT EXISTS ${ID_BLOCKS_SEQUENCE}`);
  await blocks.end();
  const templateName = `${dbName}_template`;
  await ensureDatabase(postgres.adminUrl, templateName);
  const db = createDb(withDatabase(postgres.adminUrl, templateName), { max: 2 });
  await migrateToLatest(db);
  await db.destroy();

  const temporal = await provisionTemporal(
    { namespace: 'default', cliPath: config.TEMPORAL_CLI_PATH, envPath: process.env.PATH, devPort: await freePort(), uiPort: null, dbFilename: null, logFile: null },
    log,
  );
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-bundle-'));
  const workflowBundlePath = path.join(bundleDir, 'workflows.js');
  writeFileSync(workflowBundlePath, (await bundleWorkflows()).code);
  log.info(`database ${dbName}, Temporal ${temporal.address}, bundle ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);

  project.provide('templateDatabaseName', templateName);
  project.provide('adminDatabaseUrl', postgres.adminUrl);
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundlePath', workflowBundlePath);
  // The CLI provisionTemporal found or built: tests that run `claimdesk start` in a scratch HOME (where Go's default
  // bin directory is empty) are pointed at it, instead of building it again there.
  project.provide('temporalCliPath', config.TEMPORAL_CLI_PATH ?? (await findTemporalBinary({ envPath: process.env.PATH })) ?? '');
  project.provide('runDatabaseName', dbName);

  return async () => {
    await temporal.stop();
    for (const name of await databasesStartingWith(postgres.adminUrl, dbName)) {
      await dropDatabase(postgres.adminUrl, name).catch((err: unknown) => console.warn(`[setup] could not drop ${name}: ${String(err)}`));
    }
    await postgres.stop();
    rmSync(bundleDir, { recursive: true, force: true });
  };
}
