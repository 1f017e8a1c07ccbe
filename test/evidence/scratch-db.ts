import { createDb, type Db } from '../../db/index.ts';
import { cloneTestDatabase } from '../support/test-database.ts';

/**
 * A private, migrated database for tests whose assertions depend on everything in a table (ranking over a
 * whole library, matching over every rated claim) and that want it empty of the file's other rows.
 */
export async function openScratchDb(prefix: string): Promise<{ db: Db; url: string; drop: () => Promise<void> }> {
  const clone = await cloneTestDatabase(prefix);
  const db = createDb(clone.url, { max: 4, applicationName: 'claimdesk-test-scratch' });
  return {
    db,
    url: clone.url,
    drop: async () => {
      await db.destroy();
      await clone.drop();
    },
  };
}
