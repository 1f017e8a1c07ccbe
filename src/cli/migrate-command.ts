import type { Config } from '../config/index.ts';
import type { Logger } from '../logging/logger.ts';
import { migrate, provisionDatabase } from '../services/runtime.ts';

export async function runMigrate(config: Config, log: Logger): Promise<void> {
  const { pg, db } = await provisionDatabase(config, log);
  try {
    await migrate(db, log);
    log.info('database is up to date');
  } finally {
    await db.destroy();
    await pg.stop();
  }
}
