import { randomBytes } from 'node:crypto';
import { sql, type ColumnType, type Generated, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { DbOrTrx } from '../../db/index.ts';

// Tables of migration 0004, typed here so the shared schema file stays untouched by this area.
type Id = ColumnType<string, never, never>;
type RefId = ColumnType<string, string | number, string | number>;

export const WEBHOOK_EVENTS = ['verdict.recorded', 'verdict.corrected'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhooksTable {
  id: Generated<string> & Id;
  url: string;
  secret: string;
  events: ColumnType<string[], string[], string[]>;
  description: string | null;
  created_by: string;
  created_at: Generated<Date>;
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface WebhookDeliveriesTable {
  id: Generated<string> & Id;
  delivery_id: string;
  webhook_id: RefId;
  claim_id: RefId;
  verdict_id: RefId;
  event: string;
  attempt: number;
  outcome: 'succeeded' | 'failed';
  final: Generated<boolean>;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: Generated<Date>;
}

export interface WebhookDatabase extends Database {
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type WebhookRow = Selectable<WebhooksTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookDb = Kysely<WebhookDatabase> | Transaction<WebhookDatabase>;

export function webhookDb(db: DbOrTrx): WebhookDb {
  return db as unknown as WebhookDb;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

export async function activeWebhooksFor(db: DbOrTrx, event: WebhookEvent): Promise<WebhookRow[]> {
  return webhookDb(db)
    .selectFrom('webhooks')
    .selectAll()
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`${event} = ANY(events)`)
    .orderBy('id')
    .execute();
}
