import { ApplicationFailure, Context } from '@temporalio/activity';
import { extractClaims, ExtractionInputError } from '../src/extraction/index.ts';
import { findArticle, setArticleWorkflowId } from '../db/repositories/articles.ts';
import { insertExtractedClaim, updateClaim } from '../db/repositories/claims.ts';
import { appendEvent } from '../db/repositories/events.ts';
import { claimFingerprint } from '../src/domain/fingerprint.ts';
import type { ActivityDeps } from './deps.ts';

export interface ExtractAndSaveResult {
  /** Check-worthy claims, in text order: each gets a claim workflow. */
  claimIds: string[];
  /** Claims stored under the threshold (status 'extracted', no workflow). */
  belowThreshold: number;
}

export function createIntakeActivities(deps: ActivityDeps) {
  const { db } = deps;
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
        extracted = extractClaims(article.body, { threshold, includeBelowThreshold: true, kind: article.kind });
      } catch (err) {
        if (err instanceof ExtractionInputError) throw ApplicationFailure.nonRetryable(err.message, 'ExtractionInputError');
        throw err;
      }
      return db.transaction().execute(async (trx) => {
        if (article.workflow_id === null) {
          await setArticleWorkflowId(trx, article.id, workflowId);
        }
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
        log.info({ claims: claimIds.length, belowThreshold }, 'claims extracted and saved');
        return { claimIds, belowThreshold };
      });
    },
  };
}

export type IntakeActivities = ReturnType<typeof createIntakeActivities>;
