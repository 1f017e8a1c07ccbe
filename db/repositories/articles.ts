import type { DbOrTrx } from '../index.ts';
import type { ArticleRow, NewArticle } from '../schema.ts';

export async function findArticle(db: DbOrTrx, id: string): Promise<ArticleRow | undefined> {
  return db.selectFrom('articles').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function articleExists(db: DbOrTrx, id: string): Promise<boolean> {
  return (await db.selectFrom('articles').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/** Articles are unique by content hash: undefined when one with the same content is already stored. */
export async function insertArticleIfNew(db: DbOrTrx, values: NewArticle): Promise<ArticleRow | undefined> {
  return db
    .insertInto('articles')
    .values(values)
    .onConflict((oc) => oc.column('content_hash').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function getArticleByHash(db: DbOrTrx, contentHash: string): Promise<ArticleRow> {
  return db.selectFrom('articles').selectAll().where('content_hash', '=', contentHash).executeTakeFirstOrThrow();
}

export async function setArticleWorkflowId(db: DbOrTrx, id: string, workflowId: string): Promise<ArticleRow | undefined> {
  return db.updateTable('articles').set({ workflow_id: workflowId }).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function countArticles(db: DbOrTrx): Promise<number> {
  const row = await db.selectFrom('articles').select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The intake's extraction committed (called in the same transaction as the claims it saved). */
export async function markArticleExtracted(db: DbOrTrx, id: string): Promise<void> {
  await db.updateTable('articles').set({ status: 'extracted', failure_reason: null }).where('id', '=', id).execute();
}

/** Extraction was refused or passed its deadline: the article keeps no claims and says why. */
export async function markArticleFailed(db: DbOrTrx, id: string, reason: string): Promise<void> {
  await db.updateTable('articles').set({ status: 'failed', failure_reason: reason }).where('id', '=', id).execute();
}
