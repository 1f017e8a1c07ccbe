import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps.ts';
import {
  ClaimNotFoundError,
  createFactCheckProvider,
  createLibraryProvider,
  createPriorVerdictsProvider,
  FactCheckError,
  loadClaimForEvidence,
  recordEvidence,
  toEvidenceQuery,
  type MatchThresholds,
} from '../src/evidence/index.ts';

export interface EvidenceActivityOptions {
  /** Overrides the default suggest/confirm thresholds for prior-verdict matching. */
  matchThresholds?: MatchThresholds;
  libraryLimit?: number;
  factCheckLimit?: number;
}

async function loadClaim(deps: ActivityDeps, claimId: string) {
  try {
    return await loadClaimForEvidence(deps.db, claimId);
  } catch (err) {
    // A missing claim will not appear by retrying.
    if (err instanceof ClaimNotFoundError) throw ApplicationFailure.nonRetryable(err.message, 'ClaimNotFoundError');
    throw err;
  }
}

/**
 * The claim workflow's evidence steps. Each writes claim_evidence rows keyed by a content hash, so a retried
 * or replayed activity adds nothing twice. None of them ever rates a claim.
 */
export function createEvidenceActivities(deps: ActivityDeps, opts: EvidenceActivityOptions = {}) {
  return {
    /** Similar claims that already have a verdict, as suggestions (and probable duplicates above the confirm threshold). */
    async matchPriorVerdicts(input: { claimId: string }): Promise<{ suggestions: number; probableDuplicates: number }> {
      const claim = await loadClaim(deps, input.claimId);
      const provider = createPriorVerdictsProvider(deps.db, { excludeClaimId: claim.id, ...(opts.matchThresholds ? { thresholds: opts.matchThresholds } : {}) });
      const candidates = await provider.search(toEvidenceQuery(claim));
      await recordEvidence(deps.db, claim.id, candidates);
      const probableDuplicates = candidates.filter((c) => c.details.probableDuplicate === true).length;
      deps.log.debug({ claimId: claim.id, suggestions: candidates.length, probableDuplicates }, 'prior verdicts matched');
      return { suggestions: candidates.length, probableDuplicates };
    },

    /** The evidence library: best-matching sources with snippet, score and why they matched. */
    async searchLibrary(input: { claimId: string }): Promise<{ found: number }> {
      const claim = await loadClaim(deps, input.claimId);
      const candidates = await createLibraryProvider(deps.db).search(toEvidenceQuery(claim), { limit: opts.libraryLimit ?? 8 });
      await recordEvidence(deps.db, claim.id, candidates);
      return { found: candidates.length };
    },

    /** Google Fact Check Tools, when an API key is configured. */
    async searchFactChecks(input: { claimId: string }): Promise<{ found: number; skipped?: 'no_api_key' }> {
      const settings = deps.settings.factCheck;
      if (!settings.apiKey) return { found: 0, skipped: 'no_api_key' };
      const claim = await loadClaim(deps, input.claimId);
      let candidates;
      try {
        candidates = await createFactCheckProvider(settings).search(toEvidenceQuery(claim), { limit: opts.factCheckLimit ?? 10 });
      } catch (err) {
        if (err instanceof FactCheckError && !err.retryable) {
          // A bad key or a request the API refuses will fail the same way every time: stop and tell the user.
          throw ApplicationFailure.nonRetryable(err.message, err.code === 'auth' ? 'FactCheckAuthError' : 'FactCheckRequestError');
        }
        // Rate limits, outages and timeouts: a plain error, so Temporal retries with backoff.
        if (err instanceof FactCheckError) throw new Error(err.message);
        throw err;
      }
      await recordEvidence(deps.db, claim.id, candidates);
      return { found: candidates.length };
    },
  };
}

export type EvidenceActivities = ReturnType<typeof createEvidenceActivities>;
