import type { Stance } from '../domain/types.ts';

export interface ClaimQuantity {
  text: string;
  value: number;
  unit: string | null;
}

/** What a provider is asked about: one claim and what we know of it. */
export interface EvidenceQuery {
  text: string;
  quantities: ClaimQuantity[];
  /** Capitalised names found in the text; derived from the text when not given. */
  entities?: string[];
  /** When the claim was made (its article's publication date, else when it was entered); sources after it cannot be its origin. */
  claimDate: Date | null;
}

/** One ranked finding. `reason` says, in words a reviewer reads, why it came back. */
export interface EvidenceCandidate {
  provider: string;
  sourceId: string | null;
  url: string | null;
  title: string | null;
  /** The snippet shown to the reviewer. */
  quote: string | null;
  stance: Stance;
  score: number;
  reason: string;
  details: Record<string, unknown>;
  /** What makes this finding unique for the ledger when it has no URL (an earlier verdict); defaults to the URL. */
  identity?: string;
}

export interface EvidenceProvider {
  readonly name: string;
  /** `signal` aborts a lookup in flight (a cancelled activity); providers that go over the network honour it. */
  search(query: EvidenceQuery, opts?: { limit?: number; signal?: AbortSignal }): Promise<EvidenceCandidate[]>;
}
