import { Kysely, PostgresDialect, sql, type LogEvent, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

// int8 (bigserial ids, counts) stays a string so ids never lose precision; counts are converted where read.
export type Db = Kysely<Database>;
export type DbOrTrx = Kysely<Database> | Transaction<Database>;

/** `log` sees every query kysely runs (tests count the statements a component sends). */
export function createDb(connectionString: string, opts: { max?: number; applicationName?: string; log?: (event: LogEvent) => void } = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'claimdesk',
    // A database host that stops answering (a partition: connections are accepted or dropped silently) must turn
    // into a prompt error the API maps to 503, not a request that waits: five seconds to get a connection.
    connectionTimeoutMillis: 5_000,
    // TCP keepalive notices an idle pooled connection whose host went away before a query is sent on it.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor may a client losing it while checked out: pg fails the query in flight (the caller gets that error and the
  // pool drops the client on release) and also emits 'error' on the client, which the pool only listens to while
  // the client is idle. Unheard, that event would kill the process at the first network cut mid-query.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(opts.log ? { log: opts.log } : {}) });
}

/** A round trip to the database (health checks). */
export async function ping(db: DbOrTrx): Promise<void> {
  await sql`select 1`.execute(db);
}
