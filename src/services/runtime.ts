import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/index.ts';
import { childEnv } from '../config/index.ts';
import { createDb, type Db } from '../../db/index.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { ServiceError } from './errors.ts';
import type { Logger } from '../logging/logger.ts';
import { portAnswers } from './net.ts';
import { provisionPostgres, type PostgresHandle } from './postgres.ts';
import { checkSearchAttributes, connectionAnswers, provisionTemporal, type TemporalHandle } from './temporal.ts';
import { temporalConnectOptions, type TemporalConnectOptions } from './temporal-connection.ts';

export async function provisionDatabase(config: Config, log: Logger): Promise<{ pg: PostgresHandle; db: Db }> {
  const pg = await provisionPostgres(
    {
      databaseUrl: config.DATABASE_URL,
      mode: config.CLAIMDESK_POSTGRES,
      localUrl: config.LOCAL_POSTGRES_URL,
      database: config.DATABASE_NAME,
      stateDir: config.stateDir,
      embeddedPort: config.EMBEDDED_POSTGRES_PORT,
    },
    log,
  );
  const db = createDb(pg.url, { applicationName: 'claimdesk' });
  return { pg, db };
}

export async function migrate(db: Db, log: Logger): Promise<void> {
  const applied = await migrateToLatest(db);
  if (applied.length > 0) log.info({ applied }, `applied ${applied.length} migration(s)`);
}

/** `claimdesk start`: a dev server of its own unless TEMPORAL_ADDRESS names one. */
export async function provisionOwnTemporal(config: Config, log: Logger): Promise<TemporalHandle> {
  return provisionTemporal(
    {
      address: config.TEMPORAL_ADDRESS,
      ...(config.TEMPORAL_ADDRESS ? { connect: temporalConnectOptions(config, config.TEMPORAL_ADDRESS) } : {}),
      searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES ?? 'warn',
      namespace: config.TEMPORAL_NAMESPACE,
      cliPath: config.TEMPORAL_CLI_PATH,
      envPath: childEnv().PATH,
      devPort: config.TEMPORAL_DEV_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      dbFilename: path.join(config.stateDir, 'temporal', 'temporal.db'),
      logFile: path.join(config.stateDir, 'temporal', 'dev-server.log'),
    },
    log,
  );
}

/** `claimdesk api` / `claimdesk worker`: connect to a server someone else runs; never start one. */
export async function connectTemporal(config: Config, log: Pick<Logger, 'warn'>): Promise<TemporalHandle> {
  const address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`;
  const connect = temporalConnectOptions(config, address);
  if (!(await connectionAnswers(connect))) {
    throw new ServiceError('temporal_unreachable', `Temporal at ${address} (${config.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : 'default; set TEMPORAL_ADDRESS'}) is unreachable${connect.tls ? ' over TLS' : ''}`);
  }
  // The local dev server (no TEMPORAL_ADDRESS) may register them itself; a configured server is checked, not changed.
  const mode = config.TEMPORAL_SEARCH_ATTRIBUTES ?? (config.TEMPORAL_ADDRESS ? 'warn' : 'register');
  await checkSearchAttributes(connect, config.TEMPORAL_NAMESPACE, mode, { warn: (m: string) => log.warn(m) });
  return { address, connect, uiUrl: null, stop: async () => undefined };
}

export async function createTemporalClient(target: string | TemporalConnectOptions, namespace: string): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect(typeof target === 'string' ? { address: target } : target);
  return { client: new Client({ connection, namespace }), connection };
}

export async function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  if (port !== 0 && (await portAnswers(probeHost, port, 500))) {
    throw new ServiceError('port_in_use', `port ${port} is already in use; set ${variable} to a free port`);
  }
}
