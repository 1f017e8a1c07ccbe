import { sql } from 'kysely';
import type { DeliveryOutcome, WebhookEvent } from '../../src/domain/webhooks.ts';
import type { DbOrTrx } from '../index.ts';
import type { DeliveryRow, NewDelivery, NewWebhook, WebhookRow } from '../schema.ts';

export async function insertWebhook(db: DbOrTrx, values: NewWebhook): Promise<WebhookRow> {
  return db.insertInto('webhooks').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findWebhook(db: DbOrTrx, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function webhookExists(db: DbOrTrx, id: string): Promise<boolean> {
  return (await db.selectFrom('webhooks').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/** Active subscriptions by id; `afterId` is the last one served. */
export async function listWebhooks(db: DbOrTrx, q: { afterId: string | null; limit: number }): Promise<WebhookRow[]> {
  let query = db.selectFrom('webhooks').selectAll().where('deleted_at', 'is', null);
  if (q.afterId !== null) query = query.where(sql<boolean>`id > ${q.afterId}::bigint`);
  return query.orderBy('id').limit(q.limit).execute();
}

/** Replaces a secret stored in clear (before encryption) with its ciphertext; a no-op once another process did it. */
export async function storeEncryptedWebhookSecret(db: DbOrTrx, id: string, ciphertext: string): Promise<void> {
  await db.updateTable('webhooks').set({ secret_ciphertext: ciphertext, secret: null }).where('id', '=', id).where('secret_ciphertext', 'is', null).execute();
}

/** Unsubscribes, keeping the row for the delivery log; false when there was no active subscription. */
export async function softDeleteWebhook(db: DbOrTrx, id: string): Promise<boolean> {
  const res = await db.updateTable('webhooks').set({ deleted_at: new Date() }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function activeWebhooksFor(db: DbOrTrx, event: WebhookEvent): Promise<WebhookRow[]> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`${event} = ANY(events)`)
    .orderBy('id')
    .execute();
}

/** Every attempt, newest first; `beforeId` is the last one served. */
export async function deliveriesOfWebhook(db: DbOrTrx, webhookId: string, q: { beforeId: string | null; limit: number }): Promise<DeliveryRow[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
  if (q.beforeId !== null) query = query.where(sql<boolean>`id < ${q.beforeId}::bigint`);
  return query.orderBy('id', 'desc').limit(q.limit).execute();
}

/** One row per attempt; a retried activity logging the same attempt again adds nothing. */
export async function logDeliveryAttempt(db: DbOrTrx, values: NewDelivery): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .values(values)
    .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
    .execute();
}

export async function countDeliveryAttempts(db: DbOrTrx): Promise<{ outcome: DeliveryOutcome; n: number }[]> {
  const rows = await db.selectFrom('webhook_deliveries').select(['outcome', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('outcome').execute();
  return rows.map((r) => ({ outcome: r.outcome, n: Number(r.n) }));
}

/** Deliveries that gave up after their last retry. */
export async function countFailedDeliveries(db: DbOrTrx): Promise<number> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.count<string>('delivery_id').distinct().as('n'))
    .where('final', '=', true)
    .where('outcome', '=', 'failed')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
