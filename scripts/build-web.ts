// Builds the web app (src/web → src/web/dist) with Vite's JS API.
//   tsx scripts/build-web.ts          build only when the sources changed since the last build (npm's prestart)
//   tsx scripts/build-web.ts --force  always build (npm run build:web)
// Prints the gzipped size of the JavaScript the first page loads (the entry chunk and everything it imports
// statically) and fails when that exceeds the budget, so a heavy dependency is caught where it is added.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { build as viteBuild } from 'vite';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = path.join(ROOT, 'src', 'web');
const DIST = path.join(WEB, 'dist');
const CONFIG = path.join(WEB, 'vite.config.ts');
const HASH_FILE = path.join(DIST, '.build-hash');
const BUDGET_BYTES = 250_000;

/**
 * Shared code the app bundles from outside src/web (pure modules only; the lint keeps server code out): a change
 * there changes the build as much as one inside.
 */
const SHARED_SOURCES = ['src/extraction/weights.ts'];

/** Every source file of the app (not its output), the shared modules it bundles, and the lockfile (a dependency upgrade changes the build too). */
function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => !(e.isDirectory() && (e.name === 'dist' || e.name === 'node_modules')))
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []));
  const files = [...walk(WEB), ...SHARED_SOURCES.map((f) => path.join(ROOT, f)), path.join(ROOT, 'package-lock.json')].filter((f) => existsSync(f)).sort();
  for (const file of files) {
    hash.update(path.relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

interface Chunk {
  type: 'chunk';
  fileName: string;
  code: string;
  isEntry: boolean;
  imports: string[];
}

/** The entry chunk and its static imports, transitively: what the browser must fetch before the first render. */
function firstPageJs(chunks: Chunk[]): { files: string[]; gzipBytes: number } {
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const chunk = byName.get(name);
    if (!chunk) return;
    seen.add(name);
    for (const dep of chunk.imports) visit(dep);
  };
  for (const c of chunks) if (c.isEntry) visit(c.fileName);
  const files = [...seen];
  const gzipBytes = files.reduce((sum, f) => sum + gzipSync(byName.get(f)?.code ?? '', { level: 9 }).length, 0);
  return { files, gzipBytes };
}

async function main(): Promise<number> {
  const force = process.argv.includes('--force');
  if (!existsSync(CONFIG)) {
    process.stderr.write(`build-web: ${path.relative(ROOT, CONFIG)} not found; nothing to build\n`);
    return 1;
  }
  const hash = sourceHash();
  const previous = existsSync(HASH_FILE) ? readFileSync(HASH_FILE, 'utf8').trim() : null;
  if (!force && previous === hash && existsSync(path.join(DIST, 'index.html'))) {
    process.stdout.write(`web app up to date (src/web/dist, sources ${hash.slice(0, 12)})\n`);
    return 0;
  }

  let build: typeof viteBuild;
  try {
    ({ build } = await import('vite'));
  } catch {
    // Installed with --omit=dev (as in the Docker image, which copies a dist built in its build stage).
    process.stderr.write('build-web: vite is not installed (npm install without --omit=dev); the API will say the app is not built\n');
    return existsSync(path.join(DIST, 'index.html')) ? 0 : 1;
  }
  const started = Date.now();
  process.stdout.write(`building the web app (${force ? 'forced' : previous ? 'sources changed' : 'first build'})…\n`);
  const result = await build({ configFile: CONFIG, logLevel: 'warn', mode: 'production' });
  const outputs = Array.isArray(result) ? result : 'output' in result ? [result] : [];
  const chunks = outputs.flatMap((o) => o.output).filter((o): o is typeof o & Chunk => o.type === 'chunk') as unknown as Chunk[];
  if (chunks.length === 0) {
    process.stderr.write('build-web: the build produced no JavaScript\n');
    return 1;
  }
  const first = firstPageJs(chunks);
  const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
  process.stdout.write(`built src/web/dist in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  process.stdout.write(`first page JavaScript: ${kB(first.gzipBytes)} gzipped (budget ${kB(BUDGET_BYTES)}) in ${first.files.length} file${first.files.length === 1 ? '' : 's'}: ${first.files.join(', ')}\n`);
  if (first.gzipBytes > BUDGET_BYTES) {
    process.stderr.write(`build-web: the first page loads ${kB(first.gzipBytes)} of gzipped JavaScript, over the ${kB(BUDGET_BYTES)} budget\n`);
    return 1;
  }
  // Written last: a failed or over-budget build is rebuilt next time.
  writeFileSync(HASH_FILE, `${hash}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`build-web: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
