import { z } from 'zod';
import type { DbOrTrx } from '../../db/index.ts';
import { findSourceById, getSourceByUrl, upsertSourceRows } from '../../db/repositories/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import { sha256 } from './text.ts';

export const SOURCE_KINDS = [
  'official_statistics',
  'government',
  'report',
  'research',
  'news',
  'fact_check',
  'legal',
  'reference',
  'dataset',
  'other',
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

const isoDate = z.union([z.iso.datetime({ offset: true, local: true }), z.iso.date()]);

/** A source as given to POST /api/sources and the importer. */
export const sourceInputSchema = z.object({
  url: z
    .string()
    .trim()
    .max(2048)
    .refine((v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, 'must be an http(s) URL'),
  title: z.string().trim().min(1, 'must not be empty').max(500),
  publisher: z.string().trim().max(200).nullish(),
  publishedAt: isoDate.nullish(),
  kind: z.enum(SOURCE_KINDS).default('other'),
  reliability: z.number().min(0).max(1).default(0.5),
  body: z.string().max(200_000).nullish(),
});
export type SourceInput = z.input<typeof sourceInputSchema>;
export type ValidSourceInput = z.output<typeof sourceInputSchema>;

/** A source as the API returns it (camelCase, ISO dates, string ids). */
export interface SourceDto {
  id: string;
  url: string;
  title: string;
  publisher: string | null;
  publishedAt: string | null;
  kind: string;
  reliability: number;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export function toSourceDto(row: Omit<SourceRow, 'search' | 'content_hash'>): SourceDto {
  return {
    id: row.id,
    url: row.url,
    title: row.title,
    publisher: row.publisher,
    publishedAt: row.published_at ? row.published_at.toISOString() : null,
    kind: row.kind,
    reliability: row.reliability,
    body: row.body,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function normalizedDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  // A bare date is midnight UTC; a local datetime without offset is read as UTC too.
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

function toRow(input: ValidSourceInput) {
  const publishedAt = normalizedDate(input.publishedAt);
  const row = {
    url: input.url,
    title: input.title,
    publisher: input.publisher ?? null,
    published_at: publishedAt,
    kind: input.kind,
    reliability: input.reliability,
    body: input.body ?? '',
  };
  // The hash covers everything but the URL (the key), so re-importing an unchanged row is detectably a no-op.
  const content_hash = sha256(JSON.stringify([row.title, row.publisher, publishedAt?.toISOString() ?? null, row.kind, row.reliability, row.body]));
  return { ...row, content_hash };
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Inserts or updates sources by URL in one statement. A row whose content is unchanged is not touched.
 * Returns each URL's outcome; a URL given twice keeps its last version.
 */
export async function upsertSources(db: DbOrTrx, inputs: ValidSourceInput[]): Promise<Map<string, UpsertOutcome>> {
  const byUrl = new Map<string, ReturnType<typeof toRow>>();
  for (const input of inputs) byUrl.set(input.url, toRow(input));
  const outcomes = new Map<string, UpsertOutcome>();
  if (byUrl.size === 0) return outcomes;
  const rows = await upsertSourceRows(db, [...byUrl.values()]);
  for (const url of byUrl.keys()) outcomes.set(url, 'unchanged');
  for (const r of rows) outcomes.set(r.url, r.created ? 'created' : 'updated');
  return outcomes;
}

/** Adds a source or updates the one with the same URL; `created` tells which. Throws ZodError on invalid input. */
export async function upsertSource(db: DbOrTrx, input: SourceInput): Promise<{ source: SourceDto; created: boolean; updated: boolean }> {
  const valid = sourceInputSchema.parse(input);
  const outcome = (await upsertSources(db, [valid])).get(valid.url) ?? 'unchanged';
  const row = await getSourceByUrl(db, valid.url);
  return { source: toSourceDto(row), created: outcome === 'created', updated: outcome === 'updated' };
}

export async function getSource(db: DbOrTrx, id: string): Promise<SourceDto | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const row = await findSourceById(db, id);
  return row ? toSourceDto(row) : null;
}
