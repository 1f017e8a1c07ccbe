import { sql } from 'kysely';
import type { ClaimStatus } from '../../src/domain/types.ts';
import type { DbOrTrx } from '../index.ts';
import type { ClaimRow, ClaimUpdate, NewClaim } from '../schema.ts';

export async function findClaim(db: DbOrTrx, id: string): Promise<ClaimRow | undefined> {
  return db.selectFrom('claims').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getClaim(db: DbOrTrx, id: string): Promise<ClaimRow> {
  return db.selectFrom('claims').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function claimExists(db: DbOrTrx, id: string): Promise<boolean> {
  return (await db.selectFrom('claims').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export async function insertClaim(db: DbOrTrx, values: NewClaim): Promise<ClaimRow> {
  return db.insertInto('claims').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * Inserts a claim identified by its idempotency key, or returns the one a previous attempt inserted with that key
 * (an API process that died after the insert, whose retry runs the request again): never a second row.
 */
export async function insertClaimOnce(db: DbOrTrx, values: NewClaim & { idempotency_key: string }): Promise<ClaimRow> {
  const inserted = await db
    .insertInto('claims')
    .values(values)
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted ?? db.selectFrom('claims').selectAll().where('idempotency_key', '=', values.idempotency_key).executeTakeFirstOrThrow();
}

/** Records the workflow id unless one is already there; undefined when it was. */
export async function setClaimWorkflowIdIfUnset(db: DbOrTrx, id: string, workflowId: string): Promise<ClaimRow | undefined> {
  return db.updateTable('claims').set({ workflow_id: workflowId }).where('id', '=', id).where('workflow_id', 'is', null).returningAll().executeTakeFirst();
}

export async function updateClaim(db: DbOrTrx, id: string, values: ClaimUpdate): Promise<void> {
  await db.updateTable('claims').set(values).where('id', '=', id).execute();
}

export interface ClaimListFilter {
  status?: ClaimStatus | undefined;
  articleId?: string | undefined;
  /** Substring of the text, matched case-insensitively and literally (no wildcards). */
  q?: string | undefined;
  /** Keyset: the (created_at, id) of the last claim already served. */
  after?: readonly [string, string] | null;
  limit: number;
}

/** Newest first. */
export async function listClaims(db: DbOrTrx, f: ClaimListFilter): Promise<ClaimRow[]> {
  let query = db.selectFrom('claims').selectAll();
  if (f.status) query = query.where('status', '=', f.status);
  if (f.articleId) query = query.where('article_id', '=', f.articleId);
  if (f.q) query = query.where('text', 'ilike', `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (f.after) query = query.where(sql<boolean>`(created_at, id) < (${f.after[0]}::timestamptz, ${f.after[1]}::bigint)`);
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

/** In text order. */
export async function claimsOfArticle(db: DbOrTrx, articleId: string): Promise<ClaimRow[]> {
  return db.selectFrom('claims').selectAll().where('article_id', '=', articleId).orderBy('start_offset').orderBy('id').execute();
}

export async function claimsByIds(db: DbOrTrx, ids: readonly string[]): Promise<ClaimRow[]> {
  return ids.length ? db.selectFrom('claims').selectAll().where('id', 'in', ids).execute() : [];
}

export async function countClaimsByStatus(db: DbOrTrx): Promise<Map<ClaimStatus, number>> {
  const rows = await db.selectFrom('claims').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute();
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}

/** An extracted claim is identified by its span in the article: inserting the same span again adds nothing. */
export async function insertExtractedClaim(db: DbOrTrx, values: NewClaim & { article_id: string; start_offset: number; end_offset: number }): Promise<Pick<ClaimRow, 'id' | 'workflow_id'>> {
  await db
    .insertInto('claims')
    .values(values)
    .onConflict((oc) => oc.columns(['article_id', 'start_offset', 'end_offset']).where('article_id', 'is not', null).where('start_offset', 'is not', null).doNothing())
    .execute();
  return db
    .selectFrom('claims')
    .select(['id', 'workflow_id'])
    .where('article_id', '=', values.article_id)
    .where('start_offset', '=', values.start_offset)
    .where('end_offset', '=', values.end_offset)
    .executeTakeFirstOrThrow();
}

/** Locks the claim row for the rest of the transaction. */
export async function lockClaim(db: DbOrTrx, id: string): Promise<Pick<ClaimRow, 'id' | 'priority' | 'status'> | undefined> {
  return db.selectFrom('claims').select(['id', 'priority', 'status']).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function claimStatus(db: DbOrTrx, id: string): Promise<ClaimStatus> {
  return (await db.selectFrom('claims').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
}

export async function findClaimChecks(db: DbOrTrx, id: string): Promise<Pick<ClaimRow, 'text' | 'article_id' | 'checks' | 'quantities' | 'start_offset' | 'status'> | undefined> {
  return db.selectFrom('claims').select(['text', 'article_id', 'checks', 'quantities', 'start_offset', 'status']).where('id', '=', id).executeTakeFirst();
}
