import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSourcesImport, SourcesImportError } from '../../src/cli/sources-command.ts';
import { parseCsv } from '../../src/evidence/csv.ts';
import { openTestEnv, type TestEnv } from '../support/env.ts';

let env: TestEnv;
let dir: string;

beforeAll(async () => {
  env = await openTestEnv();
  dir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-import-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await env?.close();
});

/** Unique URLs per test: the database is shared with every other test file. */
const base = () => `https://import-${randomUUID().slice(0, 8)}.claimdesk.test/`;

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

function io(isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { db: env.db, stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s), isTTY }, out, err };
}

describe('sources import, JSONL', () => {
  it('keeps good rows, reports each bad row as FILE:LINE: problem, and changes nothing on re-import', async () => {
    const b = base();
    const lines = [
      JSON.stringify({ url: `${b}a`, title: 'Encounters FY2023', kind: 'official_statistics', reliability: 0.95, publishedAt: '2023-10-20', body: 'Encounters at the border.' }),
      '{"url": "' + b + 'broken", "title": ',
      JSON.stringify({ url: `${b}b`, title: 'Prison brief', publisher: 'WPB' }),
      '',
      JSON.stringify({ url: 'not a url', title: 'Bad URL' }),
      JSON.stringify({ url: `${b}c`, title: 'Too reliable', reliability: 1.5 }),
      JSON.stringify({ url: `${b}d` }),
      '[1, 2, 3]',
      JSON.stringify({ url: `${b}e`, title: 'Homicide rates', kind: 'dataset', publishedAt: '2024-01-03T10:00:00Z' }),
    ];
    const file = write(`${randomUUID()}.jsonl`, lines.join('\n') + '\n');
    const first = io();
    const result = await runSourcesImport(file, first.io);
    expect(result).toEqual({ imported: 3, updated: 0, unchanged: 0, failed: 5 });
    const errors = first.err.join('').trim().split('\n');
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: invalid JSON`));
    expect(errors[1]).toMatch(/:5: url: must be an http\(s\) URL$/);
    expect(errors[2]).toMatch(/:6: reliability: /);
    expect(errors[3]).toMatch(/:7: title: /);
    expect(errors[4]).toMatch(/:8: expected a JSON object$/);
    expect(first.out.join('')).toMatch(/3 imported, 0 updated, 0 unchanged, 5 failed/);

    const stored = await env.db.selectFrom('sources').select(['url', 'title', 'kind', 'reliability', 'published_at']).where('url', 'like', `${b}%`).orderBy('url').execute();
    expect(stored.map((s) => s.url)).toEqual([`${b}a`, `${b}b`, `${b}e`]);
    expect(stored[0]).toMatchObject({ kind: 'official_statistics', reliability: 0.95 });
    expect(stored[2]?.published_at?.toISOString()).toBe('2024-01-03T10:00:00.000Z');

    const again = io();
    await expect(runSourcesImport(file, again.io)).resolves.toEqual({ imported: 0, updated: 0, unchanged: 3, failed: 5 });
  });

  it('updates a row whose content changed and counts a URL repeated in one file once per row', async () => {
    const b = base();
    const v1 = write(`${randomUUID()}.jsonl`, [JSON.stringify({ url: `${b}x`, title: 'Version one' }), JSON.stringify({ url: `${b}y`, title: 'Stays' })].join('\n'));
    await expect(runSourcesImport(v1, io().io)).resolves.toEqual({ imported: 2, updated: 0, unchanged: 0, failed: 0 });
    const v2 = write(`${randomUUID()}.jsonl`, [JSON.stringify({ url: `${b}x`, title: 'Version two' }), JSON.stringify({ url: `${b}y`, title: 'Stays' }), JSON.stringify({ url: `${b}x`, title: 'Version three' })].join('\n'));
    await expect(runSourcesImport(v2, io().io)).resolves.toEqual({ imported: 0, updated: 2, unchanged: 1, failed: 0 });
    const row = await env.db.selectFrom('sources').select('title').where('url', '=', `${b}x`).executeTakeFirstOrThrow();
    expect(row.title).toBe('Version three');
  });
});

describe('sources import, CSV', () => {
  it('parses quoted fields with commas, escaped quotes and line breaks, reports bad rows by their starting line', async () => {
    const b = base();
    const csv = [
      '\uFEFFURL,Title,Publisher,Published At,Kind,Reliability,Body,Notes',
      `${b}1,"Encounters, fiscal 2023","U.S. Customs and Border Protection",2023-10-20,official_statistics,0.95,"Counts ""events"", not people.",x`,
      `${b}2,Prison brief,,,report,,"First line`,
      `second line, with a comma",`,
      `${b}3,Too few fields`,
      `${b}4,Bad reliability,,,report,high,,`,
      `${b}5,Bad date,,31/12/2023,report,0.5,,`,
      `${b}6,"Last, and fine",WPB,2024-02-01,dataset,0.8,Plain body,`,
    ].join('\r\n');
    const file = write(`${randomUUID()}.csv`, csv + '\r\n');
    const run = io();
    const result = await runSourcesImport(file, run.io);
    expect(result).toEqual({ imported: 3, updated: 0, unchanged: 0, failed: 3 });
    const messages = run.err.join('');
    expect(messages).toMatch(/:1: ignoring unknown columns: Notes/);
    expect(messages).toMatch(/:5: expected 8 fields, got 2/);
    expect(messages).toMatch(/:6: reliability: /);
    expect(messages).toMatch(/:7: publishedAt: /);

    const rows = await env.db.selectFrom('sources').select(['url', 'title', 'publisher', 'body', 'reliability', 'kind']).where('url', 'like', `${b}%`).orderBy('url').execute();
    expect(rows.map((r) => r.url)).toEqual([`${b}1`, `${b}2`, `${b}6`]);
    expect(rows[0]).toMatchObject({ title: 'Encounters, fiscal 2023', publisher: 'U.S. Customs and Border Protection', body: 'Counts "events", not people.', reliability: 0.95 });
    expect(rows[1]).toMatchObject({ title: 'Prison brief', publisher: null, body: 'First line\nsecond line, with a comma', reliability: 0.5, kind: 'report' });

    await expect(runSourcesImport(file, io().io)).resolves.toEqual({ imported: 0, updated: 0, unchanged: 3, failed: 3 });
  });

  it('reports an unterminated quote at the line it opened and keeps the rows before it', async () => {
    const b = base();
    const file = write(`${randomUUID()}.csv`, ['url,title', `${b}ok,Fine`, `${b}bad,"Never closed`, 'more text'].join('\n'));
    const run = io();
    await expect(runSourcesImport(file, run.io)).resolves.toEqual({ imported: 1, updated: 0, unchanged: 0, failed: 1 });
    expect(run.err.join('')).toMatch(/:3: unterminated quoted field/);
  });

  it('refuses a row with text after a closing quote ("ab"cd) at its line, and keeps the rows around it', async () => {
    const b = base();
    const file = write(`${randomUUID()}.csv`, ['url,title', `${b}ok,Fine`, `${b}bad,"Half"quoted`, `${b}after,Also fine`].join('\n'));
    const run = io();
    await expect(runSourcesImport(file, run.io)).resolves.toEqual({ imported: 2, updated: 0, unchanged: 0, failed: 1 });
    expect(run.err.join('')).toMatch(/:3: text after the closing quote of field 2/);
  });

  it('refuses a header without url and title, and a missing file', async () => {
    const file = write(`${randomUUID()}.csv`, 'link_text,heading\na,b\n');
    await expect(runSourcesImport(file, io().io)).rejects.toMatchObject({ code: 'bad_header' });
    await expect(runSourcesImport(path.join(dir, 'nope.csv'), io().io)).rejects.toBeInstanceOf(SourcesImportError);
  });

  it('sniffs the format of a file without a known extension', async () => {
    const b = base();
    const jsonl = write(`${randomUUID()}.txt`, JSON.stringify({ url: `${b}j`, title: 'JSON line' }) + '\n');
    await expect(runSourcesImport(jsonl, io().io)).resolves.toMatchObject({ imported: 1, failed: 0 });
    const csv = write(`${randomUUID()}.data`, `url,title\n${b}c,CSV row\n`);
    await expect(runSourcesImport(csv, io().io)).resolves.toMatchObject({ imported: 1, failed: 0 });
  });
});

describe('sources import progress', () => {
  it('draws a progress bar on a terminal and prints line counts otherwise', async () => {
    const b = base();
    const rows = Array.from({ length: 5001 }, (_, i) => JSON.stringify({ url: `${b}${i}`, title: `Bulk source ${i}` }));
    const file = write(`${randomUUID()}.jsonl`, rows.join('\n'));
    const tty = io(true);
    await expect(runSourcesImport(file, tty.io)).resolves.toEqual({ imported: 5001, updated: 0, unchanged: 0, failed: 0 });
    const bar = tty.err.join('');
    expect(bar).toMatch(/\r\S+ \[#{28}\] 100% 5001 rows\n$/);
    const plain = io(false);
    await expect(runSourcesImport(file, plain.io)).resolves.toEqual({ imported: 0, updated: 0, unchanged: 5001, failed: 0 });
    expect(plain.err.join('')).toMatch(/: 5000 rows read \(line 5000\)\n/);
    expect(plain.err.join('')).not.toContain('\r');
  });
});

describe('parseCsv', () => {
  it('handles RFC 4180 quoting', () => {
    expect(parseCsv('a,b\n"x, y","say ""hi"""\n"multi\nline",z')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
    ]);
    expect(parseCsv('a,,"",b')[0]?.fields).toEqual(['a', '', '', 'b']);
    expect(parseCsv('"open\nstill open').at(-1)).toMatchObject({ line: 1, error: expect.stringMatching(/unterminated/) });
    // Text after a closing quote is not quietly joined to the field ("ab"cd is not abcd): the record says what is wrong.
    expect(parseCsv('x,"ab"cd,y')[0]).toMatchObject({ line: 1, fields: ['x', 'abcd', 'y'], error: expect.stringMatching(/after the closing quote of field 2/) });
    expect(parseCsv('"a ""b"" c",d')[0]).toEqual({ line: 1, fields: ['a "b" c', 'd'] });
  });
});
