// `npm run bench`: every benchmark in one run, one table. Quick mode (default, under 5 minutes on 2 cores) runs
// each at its smaller size; `--full` at the sizes of the issue; `--smoke` (CI) the smallest possible, judging
// nothing. `--server dev|postgres|both` picks the Temporal server(s) for B1 and B5: the dev server as `npm start`
// runs it, and/or the Postgres-backed server of `claimdesk stack` at `--temporal-address` (default 127.0.0.1:7233).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runHttpBenches } from './http.bench.ts';
import { runB5 } from './end-to-end.bench.ts';
import { benchEnv, printTable, resultsDir, type BenchResult } from './lib.ts';
import { runB1 } from './workflow-overhead.bench.ts';
import { runB2 } from './claim-race.bench.ts';

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    server: { type: 'string', default: 'dev' },
    'temporal-address': { type: 'string', default: '127.0.0.1:7233' },
    only: { type: 'string' },
    baseline: { type: 'string', default: 'main' },
  },
});
const mode = values.smoke ? 'smoke' : values.full ? 'full' : 'quick';
const servers: ('dev' | 'postgres')[] = values.server === 'both' ? ['dev', 'postgres'] : values.server === 'postgres' ? ['postgres'] : ['dev'];
const only = new Set((values.only ?? 'b1,b2,b3,b4,b5,extract,evidence').split(',').map((s) => s.trim().toLowerCase()));
const sizes = {
  smoke: { b1Claims: 3, runs: 1, b2Tasks: 20, b3: [2000], seconds: 1, samples: 20, b5Articles: 2, bots: 1 },
  quick: { b1Claims: 20, runs: 5, b2Tasks: 200, b3: [100_000], seconds: 2, samples: 100, b5Articles: 6, bots: 2 },
  full: { b1Claims: 100, runs: 5, b2Tasks: 1000, b3: [100_000, 1_000_000], seconds: 5, samples: 300, b5Articles: 30, bots: 4 },
}[mode];
const baselineRef = mode === 'smoke' ? '' : (values.baseline ?? 'main');

const started = Date.now();
const results: BenchResult[] = [];
const joined: { name: string; output: string }[] = [];
for (const server of servers) {
  const address = server === 'postgres' ? values['temporal-address'] : undefined;
  if (only.has('b1')) results.push(...(await runB1({ server, ...(address ? { address } : {}), claims: sizes.b1Claims, runs: sizes.runs, baselineRef })));
  if (only.has('b5')) results.push(...(await runB5({ server, ...(address ? { address } : {}), articles: sizes.b5Articles, runs: sizes.runs, bots: sizes.bots, baselineRef })));
  if (only.has('b2')) results.push(...(await runB2({ server, ...(address ? { address } : {}), tasks: sizes.b2Tasks, clients: mode === 'smoke' ? [2] : [2, 4, 8] })));
}
if (only.has('b3') || only.has('b4')) results.push(...(await runHttpBenches({ sizes: sizes.b3, runs: sizes.runs, seconds: sizes.seconds, samples: sizes.samples })));
// The extraction and evidence benchmarks keep their own measurements; their summaries join this run's report.
for (const [name, script] of [
  ['extract', 'bench/extraction.bench.ts'],
  ['evidence', 'bench/evidence.bench.ts'],
] as const) {
  if (!only.has(name) || mode === 'smoke') continue;
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  joined.push({ name, output: `${run.stdout}${run.status === 0 ? '' : `\n(exit ${run.status}) ${run.stderr}`}`.trim() });
}

console.log(`\nclaimdesk benchmarks, ${mode} mode, ${((Date.now() - started) / 1000).toFixed(0)} s; ${JSON.stringify(benchEnv(servers.join('+')))}\n`);
printTable(results);
for (const j of joined) console.log(`\n--- ${j.name} ---\n${j.output.split('\n').slice(-12).join('\n')}`);
const missed = results.filter((r) => r.target && !r.target.met);
if (missed.length > 0 && mode !== 'smoke') {
  console.log('\nTargets missed, and why:');
  for (const r of missed) console.log(`- ${r.env.server} ${r.name}: ${r.ratio.median.toFixed(2)} (target ${r.target?.op} ${r.target?.value})${r.target?.why ? `: ${r.target.why}` : ''}`);
}
writeFileSync(path.join(resultsDir, `run.${mode}.json`), `${JSON.stringify({ mode, env: benchEnv(servers.join('+')), results, joined }, null, 1)}\n`);
