import { ApplicationFailure, Context } from '@temporalio/activity';
import { extractClaims, ExtractionInputError } from '../src/extraction/index.ts';
import { findArticle, setArticleWorkflowId } from '../db/repositories/articles.ts';
import { insertExtractedClaim, updateClaim } from '../db/repositories/claims.ts';
import { appendEvent, claimsEverStarted } from '../db/repositories/events.ts';
import { claimFingerprint } from '../src/domain/fingerprint.ts';
import type { ActivityDeps } from './deps.ts';

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
      let extracted;
      try {
        extracted = extractClaims(article.body, { threshold: deps.settings.extractionThreshold, includeBelowThreshold: true });
      } catch (err) {
        if (err instanceof ExtractionInputError) throw ApplicationFailure.nonRetryable(err.message, 'ExtractionInputError');
        throw err;
      }
      const threshold = deps.settings.extractionThreshold;
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
