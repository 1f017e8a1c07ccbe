import { Migrator, type MigrationResultSet } from 'kysely/migration';
import type { Db } from './index.ts';
import { migrations } from './migrations/index.ts';

export class MigrationError extends Error {
  readonly code = 'migration_failed' as const;
  constructor(message: string, readonly migration: string | null) {
    super(message);
    this.name = 'MigrationError';
  }
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'claimdesk_migrations',
    migrationLockTableName: 'claimdesk_migrations_lock',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  const failed = result.results?.find((r) => r.status === 'Error');
  if (result.error || failed) {
    const cause = result.error instanceof Error ? result.error.message : String(result.error ?? 'unknown error');
    throw new MigrationError(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`, failed?.migrationName ?? null);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
