import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { dropDatabase, withDatabase } from '../../src/services/postgres.ts';
import { IDS_PER_DATABASE, ID_BLOCKS_SEQUENCE } from './id-blocks.ts';


async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database copied from the run's migrated template (CREATE DATABASE … TEMPLATE is a file copy: a few
 * tens of milliseconds, against seconds for running the migrations). Named under the run's database, so the run's
 * teardown, or the next run's sweep after a crash, drops it.
 */
export async function cloneTestDatabase(label: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const admin = inject('adminDatabaseUrl');
  const run = inject('runDatabaseName');
  const name = `${run}_${label.replace(/[^a-z0-9_]/g, '_').slice(0, 18)}_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const block = await withClient(withDatabase(admin, run), async (c) => {
    const res = await c.query<{ block: string }>(`SELECT nextval('${ID_BLOCKS_SEQUENCE}')::text AS block`);
    return Number(res.rows[0]?.block);
  });
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE ${c.escapeIdentifier(inject('templateDatabaseName'))}`));
  const url = withDatabase(admin, name);
  await withClient(url, (c) =>
    c.query(`SELECT setval(c.oid::regclass, $1::bigint, false) FROM pg_class c WHERE c.relkind = 'S'`, [String(block * IDS_PER_DATABASE)]),
  );
  return { url, name, drop: () => dropDatabase(admin, name) };
}

let fileDatabase: Promise<{ url: string; drop: () => Promise<void> }> | null = null;

/**
 * This test file's own database, created on first use: a file sees only its own rows, so counting or listing
 * whole tables is safe, and the worker and API a file starts write where its assertions read.
 */
export function fileDatabaseUrl(): Promise<string> {
  fileDatabase ??= cloneTestDatabase('f');
  return fileDatabase.then((d) => d.url);
}

/** Drops this file's database, if it made one (run from the setup file after the file's own afterAll hooks). */
export async function dropFileDatabase(): Promise<void> {
  const made = fileDatabase;
  fileDatabase = null;
  if (made) await (await made).drop();
}
