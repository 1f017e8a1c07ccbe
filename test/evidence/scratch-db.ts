import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, type Db } from '../../db/index.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { dropDatabase, ensureDatabase, withDatabase } from '../../src/services/postgres.ts';

/**
 * A private, migrated database for tests whose assertions depend on everything in a table (ranking over a
 * whole library, matching over every rated claim): rows other test files add to the shared database would
 * otherwise change the answer.
 */
export async function openScratchDb(prefix: string): Promise<{ db: Db; url: string; drop: () => Promise<void> }> {
  const admin = inject('adminDatabaseUrl');
  // Named under the run's database so the run's teardown (or the next run's sweep) drops it even after a crash.
  const name = `${inject('runDatabaseName')}_${prefix.slice(0, 18)}_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  await ensureDatabase(admin, name);
  const url = withDatabase(admin, name);
  const db = createDb(url, { max: 4, applicationName: 'claimdesk-test-scratch' });
  await migrateToLatest(db);
  return {
    db,
    url,
    drop: async () => {
      await db.destroy();
      await dropDatabase(admin, name);
    },
  };
}
