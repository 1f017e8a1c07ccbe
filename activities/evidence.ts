import { Context } from '@temporalio/activity';
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

/** The running activity's context; null when the function is called directly (scripts, tests). */
function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}

/**
 * Heartbeats while a step runs: a cancellation (the claim withdrawn) only reaches an activity in a heartbeat's
 * answer, so a step that waits on a provider must keep heartbeating to learn of it. The SDK throttles what is sent.
 */
async function heartbeating<T>(ctx: Context | null, work: () => Promise<T>): Promise<T> {
  // A local activity learns of its cancellation from the worker itself: it has nobody to heartbeat to.
  if (!ctx || ctx.info.isLocal) return work();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), 500);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** A cancelled step writes nothing: the workflow has moved on (withdrawn), and rows now would outlive it. */
function stopIfCancelled(ctx: Context | null): void {
  if (ctx?.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
}

/**
 * The claim workflow's evidence steps. Each writes claim_evidence rows keyed by a content hash, so a retried
 * or replayed activity adds nothing twice. None of them ever rates a claim.
 */
export function createEvidenceActivities(deps: ActivityDeps, opts: EvidenceActivityOptions = {}) {
  return {
    /** Similar claims that already have a verdict, as suggestions (and probable duplicates above the confirm threshold). */
    async matchPriorVerdicts(input: { claimId: string }): Promise<{ suggestions: number; probableDuplicates: number }> {
      const ctx = activityContext();
      const claim = await loadClaim(deps, input.claimId);
      const provider = createPriorVerdictsProvider(deps.db, { excludeClaimId: claim.id, ...(opts.matchThresholds ? { thresholds: opts.matchThresholds } : {}) });
      const candidates = await heartbeating(ctx, () => provider.search(toEvidenceQuery(claim)));
      stopIfCancelled(ctx);
      await recordEvidence(deps.db, claim.id, candidates);
      const probableDuplicates = candidates.filter((c) => c.details.probableDuplicate === true).length;
      deps.log.debug({ claimId: claim.id, suggestions: candidates.length, probableDuplicates }, 'prior verdicts matched');
      return { suggestions: candidates.length, probableDuplicates };
    },

    /** The evidence library: best-matching sources with snippet, score and why they matched. */
    async searchLibrary(input: { claimId: string }): Promise<{ found: number }> {
      const ctx = activityContext();
      const claim = await loadClaim(deps, input.claimId);
      const candidates = await heartbeating(ctx, () => createLibraryProvider(deps.db).search(toEvidenceQuery(claim), { limit: opts.libraryLimit ?? 8 }));
      stopIfCancelled(ctx);
      await recordEvidence(deps.db, claim.id, candidates);
      return { found: candidates.length };
    },

    /** Google Fact Check Tools, when an API key is configured. */
    async searchFactChecks(input: { claimId: string }): Promise<{ found: number; skipped?: 'no_api_key' }> {
      const settings = deps.settings.factCheck;
      if (!settings.apiKey) return { found: 0, skipped: 'no_api_key' };
      const ctx = activityContext();
      const claim = await loadClaim(deps, input.claimId);
      let candidates;
      try {
        const signal = ctx?.cancellationSignal;
        candidates = await heartbeating(ctx, () => createFactCheckProvider(settings).search(toEvidenceQuery(claim), { limit: opts.factCheckLimit ?? 10, ...(signal ? { signal } : {}) }));
      } catch (err) {
        if (err instanceof FactCheckError && !err.retryable) {
          // A bad key or a request the API refuses will fail the same way every time: stop and tell the user.
          throw ApplicationFailure.nonRetryable(err.message, err.code === 'auth' ? 'FactCheckAuthError' : 'FactCheckRequestError');
        }
        // Rate limits, outages and timeouts: a plain error, so Temporal retries with backoff.
        if (err instanceof FactCheckError) throw new Error(err.message);
        throw err;
      }
      stopIfCancelled(ctx);
      await recordEvidence(deps.db, claim.id, candidates);
      return { found: candidates.length };
    },
  };
}

export type EvidenceActivities = ReturnType<typeof createEvidenceActivities>;
