import { readFile } from 'node:fs/promises';
import { extractClaims, ExtractionInputError, MAX_INPUT_BYTES } from '../extraction/index.ts';
import type { ExtractedClaim, KindOption } from '../extraction/index.ts';

export interface ExtractCommandOptions {
  json: boolean;
  threshold?: number;
  /** news, transcript or auto (default): how the text is read. */
  kind?: KindOption;
}

export interface ExtractCommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => Promise<Buffer>;
}

/** Exit codes: 0 ok, 2 bad input or missing file (the user can fix it), 1 anything else. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_BAD_INPUT = 2;

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function formatClaim(claim: ExtractedClaim, index: number): string {
  const lines = [
    `${index + 1}. [${claim.score.toFixed(2)}] ${claim.kind}${claim.claimant ? ` — ${claim.claimant}` : ''}${claim.timestamp ? ` at ${claim.timestamp}` : ''} (chars ${claim.start}-${claim.end})`,
    `   ${oneLine(claim.text)}`,
  ];
  if (claim.quantities.length > 0) {
    lines.push(`   quantities: ${claim.quantities.map((q) => `${q.text} = ${q.value}${q.unit ? ` ${q.unit}` : ''}`).join('; ')}`);
  }
  for (const check of claim.checks) lines.push(`   check ${check.status}: ${check.detail}`);
  lines.push(`   why: ${claim.features.join(', ') || 'none'}`);
  return lines.join('\n');
}

export function formatClaimsText(claims: ExtractedClaim[]): string {
  if (claims.length === 0) return 'No check-worthy claims found.\n';
  return `${claims.length} check-worthy claim${claims.length === 1 ? '' : 's'}:\n\n${claims.map(formatClaim).join('\n\n')}\n`;
}

/** `claimdesk extract FILE|- [--json] [--threshold N] [--kind news|transcript|auto]`: prints the claims found in an article. */
export async function runExtract(file: string, opts: ExtractCommandOptions, io: ExtractCommandIo): Promise<number> {
  const label = file === '-' ? 'standard input' : file;
  if (opts.threshold !== undefined && !(Number.isFinite(opts.threshold) && opts.threshold >= 0 && opts.threshold <= 1)) {
    io.stderr(`extract: --threshold must be a number from 0 to 1, got ${String(opts.threshold)}\n`);
    return EXIT_BAD_INPUT;
  }

  let bytes: Buffer;
  try {
    bytes = file === '-' ? await io.readStdin() : await readFile(file);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') {
      io.stderr(`extract: file not found: ${file}\n`);
      return EXIT_BAD_INPUT;
    }
    if (code === 'EISDIR') {
      io.stderr(`extract: ${file} is a directory, not an article file\n`);
      return EXIT_BAD_INPUT;
    }
    io.stderr(`extract: cannot read ${label}: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    return EXIT_FAILURE;
  }

  // Checked on the raw bytes so a huge file is refused before it is decoded.
  if (bytes.byteLength > MAX_INPUT_BYTES) {
    io.stderr(`extract: ${label} is ${bytes.byteLength} bytes; the limit is ${MAX_INPUT_BYTES} bytes (2 MB)\n`);
    return EXIT_BAD_INPUT;
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    io.stderr(`extract: ${label} is not valid UTF-8 text\n`);
    return EXIT_BAD_INPUT;
  }

  let claims: ExtractedClaim[];
  try {
    claims = extractClaims(text, { kind: opts.kind ?? 'auto', ...(opts.threshold === undefined ? {} : { threshold: opts.threshold }) });
  } catch (err) {
    if (err instanceof ExtractionInputError) {
      io.stderr(`extract: ${label}: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    io.stderr(`extract: failed on ${label}: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    return EXIT_FAILURE;
  }

  io.stdout(opts.json ? `${JSON.stringify(claims, null, 2)}\n` : formatClaimsText(claims));
  return EXIT_OK;
}
