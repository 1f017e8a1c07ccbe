// Evidence providers behind one interface (a claim in, ranked candidates with snippet and reason out),
// the source library's search and upsert for the API and importer, and the claim evidence ledger.
export type { ClaimQuantity, EvidenceCandidate, EvidenceProvider, EvidenceQuery } from './types.ts';
export { MAX_QUERY_CHARS, truncateForSearch, queryTerms, hasSearchableTerms, evidenceHash } from './text.ts';
export {
  SOURCE_KINDS,
  sourceInputSchema,
  toSourceDto,
  upsertSource,
  upsertSources,
  getSource,
  type SourceKind,
  type SourceInput,
  type ValidSourceInput,
  type SourceDto,
  type UpsertOutcome,
} from './sources.ts';
export { searchSources, MAX_SEARCH_LIMIT, type SearchSourcesParams, type SourceSearchItem } from './search.ts';
export { createLibraryProvider, lookupLibrary, planMatch, LIBRARY_PROVIDER, type LibraryFilters, type LibraryLookupPlan } from './library.ts';
export {
  createPriorVerdictsProvider,
  findPriorVerdicts,
  meaningConflicts,
  priorMatchToCandidate,
  DEFAULT_MATCH_THRESHOLDS,
  PRIOR_VERDICTS_PROVIDER,
  type MatchThresholds,
  type MeaningConflict,
  type PriorMatch,
} from './prior-verdicts.ts';
export { createFactCheckProvider, mapTextualRating, factCheckQueryText, FactCheckError, type FactCheckSettings, type FactCheckErrorCode } from './factcheck.ts';
export { loadClaimForEvidence, recordEvidence, toEvidenceQuery, ClaimNotFoundError, type ClaimForEvidence } from './ledger.ts';
