import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { analyzeSources } from '../../db/repositories/sources.ts';
import type { Db } from '../../db/index.ts';
import { CsvParser } from '../evidence/csv.ts';
import { sourceInputSchema, upsertSources, type ValidSourceInput } from '../evidence/index.ts';

export interface SourcesImportIo {
  db: Db;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** A progress bar when true; periodic line counts otherwise. */
  isTTY: boolean;
}

export interface SourcesImportResult {
  imported: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export class SourcesImportError extends Error {
  readonly code: 'file_not_found' | 'bad_header';
  constructor(code: 'file_not_found' | 'bad_header', message: string) {
    super(message);
    this.code = code;
    this.name = 'SourcesImportError';
  }
}

const BATCH = 500;
const PROGRESS_EVERY_ROWS = 5000;

// CSV header names we accept for each field (lower-cased, spaces/underscores/dashes removed).
const COLUMN_ALIASES: Record<string, keyof ValidSourceInput> = {
  url: 'url',
  link: 'url',
  title: 'title',
  name: 'title',
  publisher: 'publisher',
  source: 'publisher',
  publishedat: 'publishedAt',
  published: 'publishedAt',
  date: 'publishedAt',
  kind: 'kind',
  type: 'kind',
  reliability: 'reliability',
  body: 'body',
  description: 'body',
  summary: 'body',
  text: 'body',
};

type Format = 'jsonl' | 'csv';

function formatOf(file: string, firstLine: string): Format {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.csv') return 'csv';
  return firstLine.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

function describeIssues(issues: Array<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((i) => `${i.path.length > 0 ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`).join('; ');
}

/** CSV cells are text: empty means absent, and reliability is read as a number when it looks like one. */
function csvRow(header: Array<keyof ValidSourceInput | null>, fields: string[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  header.forEach((key, i) => {
    if (!key) return;
    const raw = (fields[i] ?? '').trim();
    if (raw === '') return;
    row[key] = key === 'reliability' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) ? Number(raw) : raw;
  });
  return row;
}

function progressBar(done: number, total: number, rows: number, label: string): string {
  const width = 28;
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${rows} rows`;
}

/**
 * `claimdesk sources import FILE`: loads a JSONL or CSV file into the evidence library. Every row is validated;
 * a bad row is reported as FILE:LINE: problem and skipped, the rest are kept. Sources are keyed by URL, so
 * importing the same file again reports every row unchanged.
 */
export async function runSourcesImport(file: string, io: SourcesImportIo): Promise<SourcesImportResult> {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw new SourcesImportError('file_not_found', `${file}: no such file`);
  }
  const label = path.basename(file);
  const result: SourcesImportResult = { imported: 0, updated: 0, unchanged: 0, failed: 0 };
  const fail = (line: number, problem: string) => {
    result.failed++;
    if (io.isTTY) io.stderr('\r\x1b[K');
    io.stderr(`${file}:${line}: ${problem}\n`);
  };

  let batch: Array<{ line: number; input: ValidSourceInput }> = [];
  let batchUrls = new Set<string>();
  const count = (outcome: 'created' | 'updated' | 'unchanged') => {
    if (outcome === 'created') result.imported++;
    else result[outcome]++;
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    batchUrls = new Set();
    try {
      const outcomes = await upsertSources(io.db, rows.map((r) => r.input));
      for (const r of rows) count(outcomes.get(r.input.url) ?? 'unchanged');
    } catch {
      // Something the schema let through but the database refused: find the row, keep the others.
      for (const r of rows) {
        try {
          count((await upsertSources(io.db, [r.input])).get(r.input.url) ?? 'unchanged');
        } catch (err) {
          fail(r.line, `database rejected the row: ${(err as Error).message}`);
        }
      }
    }
  };
  const accept = async (line: number, value: unknown) => {
    const parsed = sourceInputSchema.safeParse(value);
    if (!parsed.success) return fail(line, describeIssues(parsed.error.issues));
    // One statement cannot update a URL twice: a repeat starts a new batch, so the later row wins and both are counted.
    if (batchUrls.has(parsed.data.url)) await flush();
    batch.push({ line, input: parsed.data });
    batchUrls.add(parsed.data.url);
    if (batch.length >= BATCH) await flush();
  };

  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let format: Format | null = null;
  let lineNo = 0;
  let rows = 0;
  let lastDraw = 0;
  const csv = new CsvParser();
  let header: Array<keyof ValidSourceInput | null> | null = null;
  const progress = (final = false) => {
    if (io.isTTY) {
      const now = Date.now();
      if (!final && now - lastDraw < 100) return;
      lastDraw = now;
      io.stderr(progressBar(final ? size : stream.bytesRead, size, rows, label) + (final ? '\n' : ''));
    } else if (!final && rows > 0 && rows % PROGRESS_EVERY_ROWS === 0) {
      io.stderr(`${label}: ${rows} rows read (line ${lineNo})\n`);
    }
  };

  try {
    for await (const rawLine of lines) {
      lineNo++;
      const line = lineNo === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
      if (format === null) {
        if (line.trim() === '') continue;
        format = formatOf(file, line);
      }
      if (format === 'jsonl') {
        if (line.trim() === '') continue;
        rows++;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (err) {
          fail(lineNo, `invalid JSON: ${(err as Error).message}`);
          progress();
          continue;
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(lineNo, 'expected a JSON object');
        else await accept(lineNo, value);
        progress();
        continue;
      }
      if (header === null && line.trim() === '') continue;
      const record = csv.push(line, lineNo);
      if (!record) continue;
      if (header === null) {
        header = record.fields.map((h) => COLUMN_ALIASES[h.trim().toLowerCase().replace(/[\s_-]+/g, '')] ?? null);
        const unknown = record.fields.filter((_, i) => header?.[i] === null).map((h) => h.trim());
        if (!header.includes('url') || !header.includes('title')) {
          throw new SourcesImportError('bad_header', `${file}:${record.line}: the header must name at least the url and title columns (got ${record.fields.join(', ')})`);
        }
        if (unknown.length > 0) io.stderr(`${file}:${record.line}: ignoring unknown columns: ${unknown.join(', ')}\n`);
        continue;
      }
      if (record.fields.length === 1 && (record.fields[0] ?? '').trim() === '') continue;
      rows++;
      if (record.error) fail(record.line, record.error);
      else if (record.fields.length !== header.length) fail(record.line, `expected ${header.length} fields, got ${record.fields.length}`);
      else await accept(record.line, csvRow(header, record.fields));
      progress();
    }
    const open = csv.end();
    if (open) {
      rows++;
      fail(open.line, open.error ?? 'malformed record');
    }
    await flush();
  } finally {
    lines.close();
    stream.destroy();
  }
  progress(true);
  // Library lookups pick their matching keywords by how common each is, from the planner statistics:
  // refresh them after a big load rather than waiting for autovacuum.
  if (result.imported + result.updated >= 1000) await analyzeSources(io.db);
  io.stdout(`${file}: ${result.imported} imported, ${result.updated} updated, ${result.unchanged} unchanged, ${result.failed} failed\n`);
  return result;
}
