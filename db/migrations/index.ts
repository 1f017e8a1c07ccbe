import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-initial.ts';
import * as m0004 from './0004-webhooks.ts';
import * as m0005 from './0005-claims-text-search.ts';
import * as m0006 from './0006-web-sessions.ts';
import * as m0007 from './0007-idempotency-keys.ts';
import * as m0008 from './0008-article-kind.ts';
import * as m0009 from './0009-rate-limits-and-webhook-secret-encryption.ts';
import * as m0010 from './0010-article-extraction-status.ts';
import * as m0011 from './0011-stuck-claims.ts';
import * as m0013 from './0013-queue-order-index.ts';
import * as m0014 from './0014-review-policies.ts';
import * as m0015 from './0015-auth-change-notify.ts';

// Explicit, ordered index: a migration is listed here once and never edited after it lands.
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0004-webhooks': m0004,
  '0005-claims-text-search': m0005,
  '0006-web-sessions': m0006,
  '0007-idempotency-keys': m0007,
  '0008-article-kind': m0008,
  '0009-rate-limits-and-webhook-secret-encryption': m0009,
  '0010-article-extraction-status': m0010,
  '0011-stuck-claims': m0011,
  '0013-queue-order-index': m0013,
  '0014-review-policies': m0014,
  '0015-auth-change-notify': m0015,
};
