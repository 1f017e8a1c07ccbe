import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { ServiceError } from './errors.ts';
import type { ProgressLog } from './progress-log.ts';

export interface PostgresHandle {
  /** Connection string of claimdesk's own database. */
  url: string;
  /** Connection string of the server's maintenance database, for creating and dropping databases. */
  adminUrl: string;
  source: 'env' | 'local' | 'embedded';
  stop(): Promise<void>;
}

export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function canConnect(url: string, timeoutMs = 3000): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || 'connection failed' : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      } catch (err) {
        // Two processes starting at once: the loser sees duplicate_database and carries on.
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function startEmbedded(opts: { stateDir: string; port: number; database: string }, log: ProgressLog): Promise<PostgresHandle> {
  const adminUrl = `postgres://postgres@127.0.0.1:${opts.port}/postgres`;
  // An embedded server left running by another claimdesk process on this machine is reused, not fought over.
  if ((await canConnect(adminUrl, 1000)) === null) {
    await ensureDatabase(adminUrl, opts.database);
    log.info(`Reusing the embedded PostgreSQL already running on 127.0.0.1:${opts.port}`);
    return { url: withDatabase(adminUrl, opts.database), adminUrl, source: 'embedded', stop: async () => undefined };
  }
  const server = await startEmbeddedPostgres({ stateDir: opts.stateDir, port: opts.port }, log);
  await ensureDatabase(adminUrl, opts.database);
  log.info(`Embedded PostgreSQL ready on 127.0.0.1:${opts.port}, data in ${server.dataDir}`);
  return { url: withDatabase(adminUrl, opts.database), adminUrl, source: 'embedded', stop: () => server.stop() };
}

/**
 * Gives claimdesk a database: DATABASE_URL when set; else the server at 127.0.0.1:5432 when it answers;
 * else embedded PostgreSQL from the npm package, with its data under the state directory.
 */
export async function provisionPostgres(
  opts: { databaseUrl?: string | undefined; mode: 'auto' | 'local' | 'embedded'; localUrl: string; database: string; stateDir: string; embeddedPort: number },
  log: ProgressLog,
): Promise<PostgresHandle> {
  if (opts.databaseUrl) {
    const problem = await canConnect(opts.databaseUrl);
    if (problem) {
      throw new ServiceError('postgres_unreachable', `Postgres at ${describeUrl(opts.databaseUrl)} (DATABASE_URL) is unreachable: ${problem}`);
    }
    const u = new URL(opts.databaseUrl);
    return { url: opts.databaseUrl, adminUrl: withDatabase(u.toString(), 'postgres'), source: 'env', stop: async () => undefined };
  }
  if (opts.mode !== 'embedded') {
    const problem = await canConnect(opts.localUrl, 1500);
    if (!problem) {
      await ensureDatabase(opts.localUrl, opts.database);
      return { url: withDatabase(opts.localUrl, opts.database), adminUrl: opts.localUrl, source: 'local', stop: async () => undefined };
    }
    if (opts.mode === 'local') {
      throw new ServiceError('postgres_unreachable', `Postgres at ${describeUrl(opts.localUrl)} (LOCAL_POSTGRES_URL) is unreachable: ${problem}`);
    }
    log.info(`No PostgreSQL answering at ${describeUrl(opts.localUrl)}; using embedded PostgreSQL.`);
  }
  return startEmbedded({ stateDir: opts.stateDir, port: opts.embeddedPort, database: opts.database }, log);
}
