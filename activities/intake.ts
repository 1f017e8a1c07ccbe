import { ApplicationFailure, Context } from '@temporalio/activity';
import { ExtractionInputError } from '../src/extraction/index.ts';
import { findArticle, markArticleExtracted, markArticleFailed, setArticleWorkflowId } from '../db/repositories/articles.ts';
import { insertExtractedClaim, updateClaim } from '../db/repositories/claims.ts';
import { appendEvent, claimsEverStarted } from '../db/repositories/events.ts';
import { claimFingerprint } from '../src/domain/fingerprint.ts';
import { ExtractionTimeoutError, sharedExtractionPool, type ExtractionPool } from '../src/extraction/pool.ts';
import { DEFAULT_EXTRACTION_SETTINGS, type ActivityDeps } from './deps.ts';

export interface ExtractAndSaveResult {
  /** Check-worthy claims, in text order. */
  claimIds: string[];
  /** Of those, the claims never started (no run began, no verdict): only these get a claim workflow. */
  toStart: string[];
  /** Claims stored under the threshold (status 'extracted', no workflow). */
  belowThreshold: number;
}

export function createIntakeActivities(deps: ActivityDeps) {
  const { db } = deps;
  const extraction = deps.settings.extraction ?? DEFAULT_EXTRACTION_SETTINGS;
  const pool = (): ExtractionPool => deps.extractionPool ?? sharedExtractionPool(extraction.threads);
  return {
    /**
     * Extracts the article's claims and stores them. Idempotent: a claim is identified by its span in the
     * article, so a retried or repeated intake finds the rows it already wrote.
     */
    async extractAndSaveClaims(input: { articleId: string }): Promise<ExtractAndSaveResult> {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? `article-${input.articleId}`;
      const log = deps.log.child({ workflowId, articleId: input.articleId });
      const article = await findArticle(db, input.articleId);
      if (!article) throw ApplicationFailure.nonRetryable(`article ${input.articleId} does not exist`, 'not_found');
      const threshold =
        article.kind === 'transcript' ? (deps.settings.extractionThresholdTranscript ?? deps.settings.extractionThreshold) : deps.settings.extractionThreshold;
      let extracted;
      try {
        // On a pool thread with a hard deadline: this worker's event loop stays free for everything else.
        extracted = await pool().extract(article.body, { threshold, includeBelowThreshold: true, kind: article.kind }, extraction.deadlineMs);
      } catch (err) {
        // Neither gets better on a retry: the article is marked failed with the reason, and the intake stops here.
        if (err instanceof ExtractionTimeoutError || err instanceof ExtractionInputError) {
          const type = err instanceof ExtractionTimeoutError ? 'extraction_timeout' : 'ExtractionInputError';
          await markArticleFailed(db, article.id, err.message);
          log.warn({ reason: err.message, type }, 'article extraction failed');
          throw ApplicationFailure.nonRetryable(err.message, type);
        }
        throw err;
      }
      return db.transaction().execute(async (trx) => {
        if (article.workflow_id === null) {
          await setArticleWorkflowId(trx, article.id, workflowId);
        }
        await markArticleExtracted(trx, article.id);
        const claimIds: string[] = [];
        let belowThreshold = 0;
        for (const c of extracted) {
          const worthy = c.score >= threshold;
          const row = await insertExtractedClaim(trx, {
            article_id: article.id,
            text: c.text,
            start_offset: c.start,
            end_offset: c.end,
            claimant: c.claimant,
            kind: c.kind,
            score: c.score,
            quantities: JSON.stringify(c.quantities),
            checks: JSON.stringify(c.checks),
            features: JSON.stringify(c.features),
            spoken_at: c.timestamp ?? null,
            status: worthy ? 'researching' : 'extracted',
            fingerprint: claimFingerprint(c.text),
          });
          await appendEvent(trx, {
            claim_id: row.id,
            actor: 'system',
            type: 'extracted',
            payload: JSON.stringify({ articleId: article.id, score: c.score, kind: c.kind, checkWorthy: worthy }),
            idempotency_key: `article-${article.id}:extracted:${c.start}-${c.end}`,
          });
          if (!worthy) {
            belowThreshold += 1;
            continue;
          }
          if (row.workflow_id === null) {
            await updateClaim(trx, row.id, { workflow_id: `claim-${row.id}` });
          }
          claimIds.push(row.id);
        }
        // The same article again after its workflows were purged from Temporal must not restart claims it began.
        const started = await claimsEverStarted(trx, claimIds);
        const toStart = claimIds.filter((id) => !started.has(id));
        log.info({ claims: claimIds.length, toStart: toStart.length, belowThreshold }, 'claims extracted and saved');
        return { claimIds, toStart, belowThreshold };
      });
    },
  };
}

export type IntakeActivities = ReturnType<typeof createIntakeActivities>;
