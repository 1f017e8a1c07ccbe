// Custom search attributes the workflows upsert, registered on the Temporal server at start so the UI can filter by them.
export const CUSTOM_SEARCH_ATTRIBUTES = {
  ClaimStatus: 'Keyword',
  Assignee: 'Keyword',
  Priority: 'Keyword',
  ClaimId: 'Keyword',
  ArticleId: 'Keyword',
} as const;
export type CustomSearchAttributeName = keyof typeof CUSTOM_SEARCH_ATTRIBUTES;
