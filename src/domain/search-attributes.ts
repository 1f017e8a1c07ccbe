// The custom search attributes the workflows upsert, defined once: the workflows and the claim client use the typed
// keys, and start registers the same names on the Temporal server so the UI can filter by them.
import { defineSearchAttributeKey } from '@temporalio/common';

export const claimStatusKey = defineSearchAttributeKey('ClaimStatus', 'KEYWORD');
export const assigneeKey = defineSearchAttributeKey('Assignee', 'KEYWORD');
export const priorityKey = defineSearchAttributeKey('Priority', 'KEYWORD');
export const claimIdKey = defineSearchAttributeKey('ClaimId', 'KEYWORD');
export const articleIdKey = defineSearchAttributeKey('ArticleId', 'KEYWORD');
/** Set (to the step that could not be written) while a claim's read model refuses a write for good; absent otherwise. */
export const claimStuckKey = defineSearchAttributeKey('ClaimStuck', 'KEYWORD');

const KEYS = [claimStatusKey, assigneeKey, priorityKey, claimIdKey, articleIdKey, claimStuckKey] as const;
export type CustomSearchAttributeName = (typeof KEYS)[number]['name'];

/** Name → the type as `temporal operator search-attribute create` spells it (all keywords today). */
export const CUSTOM_SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword'>> = Object.fromEntries(KEYS.map((k) => [k.name, 'Keyword' as const]));
