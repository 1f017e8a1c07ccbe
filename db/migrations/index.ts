import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-initial.ts';
import * as m0004 from './0004-webhooks.ts';
import * as m0005 from './0005-claims-text-search.ts';
import * as m0006 from './0006-web-sessions.ts';
import * as m0007 from './0007-idempotency-keys.ts';
import * as m0011 from './0011-stuck-claims.ts';

// Explicit, ordered index: a migration is listed here once and never edited after it lands.
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0004-webhooks': m0004,
  '0005-claims-text-search': m0005,
  '0006-web-sessions': m0006,
  '0007-idempotency-keys': m0007,
  '0011-stuck-claims': m0011,
};
