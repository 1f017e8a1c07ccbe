import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MAX_INPUT_BYTES } from '../extraction/index.ts';

export interface IngestOptions {
  title?: string;
  url?: string;
  publisher?: string;
  publishedAt?: string;
  json?: boolean;
  /** news, transcript or auto (the API's default). */
  kind?: 'news' | 'transcript' | 'auto';
  /** Base URL of the running API (CLAIMDESK_API_URL, else http://localhost:PORT). */
  apiUrl: string;
  token: string | undefined;
}

export interface IngestIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => Promise<Buffer>;
  fetch?: typeof fetch;
}

// 0 submitted; 2 something the user can fix (file, text, token, a 4xx); 1 the service failed or is unreachable.
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Without --title, the first non-empty line is the headline (the body keeps it: extraction skips headlines). */
export function titleFrom(text: string): string {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const t = oneLine(first);
  return t.length > 200 ? `${t.slice(0, 197)}...` : t;
}

/** `claimdesk ingest FILE|- [--title T] [--url U]`: submits an article to a running claimdesk. */
export async function runIngest(file: string, opts: IngestOptions, io: IngestIo): Promise<number> {
  const label = file === '-' ? 'standard input' : file;
  if (!opts.token) {
    io.stderr('ingest: no API token: set CLAIMDESK_TOKEN (create one with `claimdesk users add --name NAME --role fact_checker`)\n');
    return EXIT_USAGE;
  }
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await io.readStdin() : await readFile(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') io.stderr(`ingest: file not found: ${file}\n`);
    else if (code === 'EISDIR') io.stderr(`ingest: ${file} is a directory, not an article file\n`);
    else io.stderr(`ingest: cannot read ${label}: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    return code === 'ENOENT' || code === 'EISDIR' ? EXIT_USAGE : EXIT_FAILURE;
  }
  if (bytes.byteLength > MAX_INPUT_BYTES) {
    io.stderr(`ingest: ${label} is ${bytes.byteLength} bytes; the limit is ${MAX_INPUT_BYTES} bytes (2 MB)\n`);
    return EXIT_USAGE;
  }
  let body: string;
  try {
    body = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    io.stderr(`ingest: ${label} is not valid UTF-8 text\n`);
    return EXIT_USAGE;
  }
  if (body.trim() === '') {
    io.stderr(`ingest: ${label} is empty\n`);
    return EXIT_USAGE;
  }
  const title = opts.title?.trim() || titleFrom(body);
  const payload = {
    title,
    body,
    ...(opts.url ? { url: opts.url } : {}),
    ...(opts.publisher ? { publisher: opts.publisher } : {}),
    ...(opts.publishedAt ? { publishedAt: opts.publishedAt } : {}),
    ...(opts.kind && opts.kind !== 'auto' ? { kind: opts.kind } : {}),
  };

  const endpoint = `${opts.apiUrl.replace(/\/+$/, '')}/api/articles`;
  // One key per invocation, as the API contract asks of every state-changing call: a resend of this request
  // (a proxy or client retrying it) is answered with the first result instead of being run again.
  const idempotencyKey = randomUUID();
  let res: Response;
  try {
    res = await (io.fetch ?? fetch)(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}`, 'idempotency-key': idempotencyKey },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    io.stderr(`ingest: cannot reach claimdesk at ${opts.apiUrl}${cause ? ` (${cause})` : ''}: is it running? (set CLAIMDESK_API_URL)\n`);
    return EXIT_FAILURE;
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: reported below by status
  }
  if (res.status === 202) {
    const r = json as { article: { id: string }; workflowId: string; created: boolean };
    io.stdout(opts.json ? `${JSON.stringify(r)}\n` : `article ${r.article.id} ${r.created ? 'submitted' : 'already submitted'}: workflow ${r.workflowId}\n`);
    return EXIT_OK;
  }
  const detail = (json as { detail?: string } | null)?.detail ?? oneLine(text).slice(0, 300);
  io.stderr(`ingest: ${res.status} ${detail}\n`);
  return res.status >= 400 && res.status < 500 ? EXIT_USAGE : EXIT_FAILURE;
}
