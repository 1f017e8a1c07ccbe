import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor } from '../../src/api/pagination.ts';
import { InvalidCursorError, encodeCursor } from '../../src/domain/cursor.ts';
import { openApiHarness, type ApiHarness } from './support.ts';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Cursors nobody handed out: garbage, valid base64 of bad JSON, the right length with wrong types, huge numbers. */
const FORGERIES: Record<string, string> = {
  'not base64 json': 'bogus',
  'base64 of bad JSON': b64('{"a":'),
  'base64 of a JSON string': b64('"hello"'),
  'base64 of null': b64('null'),
  'an object with a bad id': encodeCursor({ id: 'x', s: 1 }),
  'empty array': encodeCursor([]),
  'non-date time': encodeCursor(['yesterday', '5']),
  'date in another format': encodeCursor(['2024-01-01 10:00:00', '5']),
  'impossible date': encodeCursor(['2024-13-45T99:99:99.000Z', '5']),
  'non-numeric id': encodeCursor(['2024-01-01T00:00:00.000Z', 'abc']),
  'id with SQL': encodeCursor(['2024-01-01T00:00:00.000Z', "1; DROP TABLE claims"]),
  'id past bigint': encodeCursor(['2024-01-01T00:00:00.000Z', '99999999999999999999999']),
  'numeric id': encodeCursor(['2024-01-01T00:00:00.000Z', 5]),
  'huge number as time': encodeCursor([1e308, '5']),
  'nested arrays': encodeCursor([['2024-01-01T00:00:00.000Z'], ['5']]),
  'deeply nested': b64('['.repeat(400) + ']'.repeat(400)),
};

describe('decodeCursor checks every part for the form its list hands out', () => {
  it('accepts what paginate hands out', () => {
    expect(decodeCursor(encodeCursor(['2024-01-01T00:00:00.000Z', '42']), ['time', 'id'])).toEqual(['2024-01-01T00:00:00.000Z', '42']);
    expect(decodeCursor(encodeCursor([2, 'infinity', '7']), ['rank', 'time', 'id'])).toEqual([2, 'infinity', '7']);
    expect(decodeCursor(undefined, ['id'])).toBeNull();
  });

  it('refuses each forgery with InvalidCursorError naming cursor', () => {
    for (const [what, cursor] of Object.entries(FORGERIES)) {
      expect(() => decodeCursor(cursor, ['time', 'id']), what).toThrow(InvalidCursorError);
    }
    for (const rank of [-1, 1.5, 1e300, '2', Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => decodeCursor(encodeCursor([rank, 'infinity', '7']), ['rank', 'time', 'id']), String(rank)).toThrow(InvalidCursorError);
    }
  });
});

describe('forged pagination cursors get 400 naming cursor, never 500', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
  });
  afterAll(async () => h.close());

  const lists = (h: ApiHarness) =>
    [
      ['/api/claims', h.tokens.editor],
      ['/api/queue?kind=review', h.tokens.fact_checker],
      ['/api/queue?kind=approval', h.tokens.editor],
      ['/api/claimreviews', null],
      ['/api/webhooks', h.tokens.editor],
      ['/api/sources', h.tokens.fact_checker],
      ['/claims', null],
    ] as const;

  it('refuses every forgery on every paginated list', async () => {
    for (const [path, token] of lists(h)) {
      for (const [what, cursor] of Object.entries(FORGERIES)) {
        const url = `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;
        const res = await h.req({ method: 'GET', url, token });
        expect(res.statusCode, `${path} ${what}: ${res.body}`).toBe(400);
        if (path.startsWith('/api')) {
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(res.body, `${path} ${what}`).toContain('cursor');
        }
      }
    }
  });

  it("refuses another list's cursor", async () => {
    // A claims cursor is (time, id); the queue's is (rank, time, id); a webhook's is (id).
    const claimsCursor = encodeCursor(['2024-01-01T00:00:00.000Z', '5']);
    const queueCursor = encodeCursor([1, '2024-01-01T00:00:00.000Z', '5']);
    const sourcesCursor = encodeCursor({ id: '5', s: 0.5 });
    const cases = [
      [`/api/queue?kind=review&cursor=${claimsCursor}`, h.tokens.fact_checker],
      [`/api/claims?cursor=${queueCursor}`, h.tokens.editor],
      [`/api/webhooks?cursor=${claimsCursor}`, h.tokens.editor],
      [`/api/claims?cursor=${sourcesCursor}`, h.tokens.editor],
      [`/api/sources?cursor=${claimsCursor}`, h.tokens.fact_checker],
    ] as const;
    for (const [url, token] of cases) {
      const res = await h.req({ method: 'GET', url, token });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('cursor');
    }
    // The same cursors are accepted where they belong.
    expect((await h.req({ method: 'GET', url: `/api/claims?cursor=${claimsCursor}`, token: h.tokens.editor })).statusCode).toBe(200);
    expect((await h.req({ method: 'GET', url: `/api/queue?kind=review&cursor=${queueCursor}`, token: h.tokens.fact_checker })).statusCode).toBe(200);
  });
});
