import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import type { Db } from '../../db/index.ts';
import { InvalidCursorError } from '../../src/domain/cursor.ts';
import { searchSources, sourceInputSchema, upsertSource, upsertSources } from '../../src/evidence/index.ts';
import { openScratchDb } from './scratch-db.ts';

// searchSources sees the whole table, so paging assertions run on a library of their own.
let scratch: Awaited<ReturnType<typeof openScratchDb>>;
let db: Db;
const BASE = 'https://search.claimdesk.test/';

beforeAll(async () => {
  scratch = await openScratchDb('evidence_search');
  db = scratch.db;
  const rows = Array.from({ length: 45 }, (_, i) =>
    sourceInputSchema.parse({
      url: `${BASE}prison-${i}`,
      title: `Prison population bulletin ${i}`,
      publisher: i % 3 === 0 ? 'Ministry of Justice' : 'Statistics Office',
      publishedAt: `2023-${String((i % 12) + 1).padStart(2, '0')}-15`,
      kind: i % 3 === 0 ? 'government' : 'official_statistics',
      reliability: (i % 10) / 10,
      // Varying mentions give varying ranks, and some ties, which keyset paging must handle.
      body: `${'The prison population changed. '.repeat((i % 4) + 1)}Capacity and overcrowding figures for region ${i}.`,
    }),
  );
  await upsertSources(db, [
    ...rows,
    sourceInputSchema.parse({ url: `${BASE}inflation`, title: 'Consumer price inflation, March 2024', kind: 'official_statistics', reliability: 0.95, body: 'CPI rose by 3.2% in the 12 months to March 2024.' }),
  ]);
});
afterAll(async () => {
  await scratch?.drop();
});

describe('searchSources', () => {
  it('finds by words in title or body, best first, with a snippet and a score', async () => {
    const { items } = await searchSources(db, { q: 'consumer inflation', limit: 5 });
    expect(items[0]).toMatchObject({ url: `${BASE}inflation`, kind: 'official_statistics', reliability: 0.95 });
    expect(items[0]?.snippet).toMatch(/3\.2%/);
    expect(items[0]?.score).toBeGreaterThan(0);
  });

  it('pages through every match exactly once with keyset cursors, in score order', async () => {
    const seen: string[] = [];
    const scores: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof searchSources>> = await searchSources(db, { q: 'prison population', limit: 7, cursor });
      seen.push(...page.items.map((i) => i.id));
      scores.push(...page.items.map((i) => i.score ?? 0));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toHaveLength(45);
    expect(new Set(seen).size).toBe(45);
    expect(pages).toBe(7);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('browses newest first when there is no query, with the same cursor contract', async () => {
    const first = await searchSources(db, { limit: 10 });
    expect(first.items).toHaveLength(10);
    expect(first.items.every((i) => i.snippet === null && i.score === null)).toBe(true);
    const second = await searchSources(db, { limit: 10, cursor: first.nextCursor });
    const ids = [...first.items, ...second.items].map((i) => Number(i.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(20);
  });

  it('filters by kind, minimum reliability and publication date', async () => {
    const gov = await searchSources(db, { q: 'prison', kind: 'government', limit: 200 });
    expect(gov.items).toHaveLength(15);
    expect(gov.items.every((i) => i.kind === 'government')).toBe(true);
    const reliable = await searchSources(db, { q: 'prison', minReliability: 0.8, limit: 200 });
    expect(reliable.items.length).toBeGreaterThan(0);
    expect(reliable.items.every((i) => i.reliability >= 0.8)).toBe(true);
    const h2 = await searchSources(db, { q: 'prison', publishedAfter: new Date('2023-06-30T00:00:00Z'), publishedBefore: new Date('2023-09-01T00:00:00Z'), limit: 200 });
    expect(h2.items.length).toBeGreaterThan(0);
    expect(h2.items.every((i) => i.publishedAt !== null && i.publishedAt >= '2023-07' && i.publishedAt < '2023-09')).toBe(true);
  });

  it.each([
    ['stop words only', 'the of and to it was'],
    ['punctuation only', '?!.,;:()"\'—…'],
    ['empty', ''],
    ['whitespace', '   \n\t '],
    ['websearch operators alone', '"" or - -'],
  ])('returns nothing, not an error, for %s', async (_name, q) => {
    await expect(searchSources(db, { q, limit: 10 })).resolves.toEqual({ items: [], nextCursor: null });
  });

  it('truncates a 10 kB query instead of rejecting it', async () => {
    const q = `prison population ${'overcrowding '.repeat(1000)}`;
    expect(q.length).toBeGreaterThan(10_000);
    const { items } = await searchSources(db, { q, limit: 5 });
    expect(items).toHaveLength(5);
  });

  it('accepts websearch syntax: phrases and exclusions', async () => {
    const phrase = await searchSources(db, { q: '"consumer price inflation"', limit: 5 });
    expect(phrase.items.map((i) => i.url)).toEqual([`${BASE}inflation`]);
    const excluded = await searchSources(db, { q: 'prison -overcrowding', limit: 5 });
    expect(excluded.items).toEqual([]);
  });

  it('rejects a cursor it did not issue', async () => {
    await expect(searchSources(db, { q: 'prison', limit: 5, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    const browseCursor = (await searchSources(db, { limit: 1 })).nextCursor;
    await expect(searchSources(db, { q: 'prison', limit: 5, cursor: browseCursor })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('upsertSource', () => {
  const url = `${BASE}upsert-${Date.now()}`;

  it('creates, then reports an identical re-post unchanged and a changed one updated, keyed by URL', async () => {
    const input = { url, title: 'Deportation flights, 2024', publisher: 'Witness', publishedAt: '2024-05-01', kind: 'report' as const, reliability: 0.7, body: 'Monthly counts.' };
    const created = await upsertSource(db, input);
    expect(created).toMatchObject({ created: true, updated: false });
    expect(created.source).toMatchObject({ url, title: 'Deportation flights, 2024', publishedAt: '2024-05-01T00:00:00.000Z', kind: 'report', reliability: 0.7 });
    const again = await upsertSource(db, input);
    expect(again).toMatchObject({ created: false, updated: false });
    expect(again.source.id).toBe(created.source.id);
    expect(again.source.updatedAt).toBe(created.source.updatedAt);
    const changed = await upsertSource(db, { ...input, reliability: 0.8 });
    expect(changed).toMatchObject({ created: false, updated: true });
    expect(changed.source).toMatchObject({ id: created.source.id, reliability: 0.8 });
  });

  it('applies defaults and rejects bad input with the field named', async () => {
    const { source } = await upsertSource(db, { url: `${url}-minimal`, title: 'Minimal' });
    expect(source).toMatchObject({ kind: 'other', reliability: 0.5, body: '', publisher: null, publishedAt: null });
    for (const [bad, field] of [
      [{ url: 'ftp://x.example/a', title: 't' }, 'url'],
      [{ url: `${url}-b`, title: '   ' }, 'title'],
      [{ url: `${url}-c`, title: 't', reliability: 1.5 }, 'reliability'],
      [{ url: `${url}-d`, title: 't', kind: 'tweet' }, 'kind'],
      [{ url: `${url}-e`, title: 't', publishedAt: 'last Tuesday' }, 'publishedAt'],
    ] as const) {
      const err = await upsertSource(db, bad as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ZodError);
      expect((err as ZodError).issues[0]?.path).toEqual([field]);
    }
  });
});
