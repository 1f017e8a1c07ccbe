// `npm run test:reliability [-- --full]`: runs the fault-injection suite (test/reliability) against the real stack,
// then prints the figures each scenario wrote and sums them into test-results/reliability/summary.json.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const full = args.includes('--full');
const unknown = args.filter((a) => a !== '--full');
if (unknown.length > 0) {
  console.error(`test:reliability: unknown argument ${unknown[0]} (the only option is --full)`);
  process.exit(2);
}
const figuresDir = path.join(root, 'test-results', 'reliability');
rmSync(figuresDir, { recursive: true, force: true });

const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(process.execPath, [vitest, 'run', ...(full ? ['-c', 'test/reliability/vitest.full.config.ts'] : ['test/reliability'])], { cwd: root, stdio: 'inherit' });

const KEYS = ['claimsInFlight', 'killsSurvived', 'outagesSurvived', 'retriesSent', 'rowsLost', 'rowsDoubled'] as const;
const scenarios = existsSync(figuresDir)
  ? readdirSync(figuresDir)
      .filter((f) => f.endsWith('.json') && f !== 'summary.json')
      .map((f) => JSON.parse(readFileSync(path.join(figuresDir, f), 'utf8')) as Record<string, unknown>)
  : [];
const total = Object.fromEntries(KEYS.map((k) => [k, scenarios.reduce((sum, s) => sum + Number(s[k] ?? 0), 0)]));
const rows = [['scenario', ...KEYS], ...scenarios.map((s) => [String(s.scenario), ...KEYS.map((k) => String(s[k] ?? 0))]), ['total', ...KEYS.map((k) => String(total[k]))]];
const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
console.log(`\nfault-injection figures (${full ? 'full' : 'ci'} sizes; scenarios that failed wrote none):`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
writeFileSync(path.join(figuresDir, 'summary.json'), `${JSON.stringify({ scale: full ? 'full' : 'ci', at: new Date().toISOString(), passed: run.status === 0, total, scenarios }, null, 2)}\n`);
process.exit(run.status ?? 1);
