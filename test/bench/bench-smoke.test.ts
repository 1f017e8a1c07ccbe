import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/lib.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

// CI runs `npm run bench -- --smoke`: every benchmark at its smallest size, once. It judges no speed (this machine
// is shared); it fails when a benchmark breaks, finds a double claim, or writes a result without its figures.
describe('npm run bench -- --smoke', () => {
  it('runs B1-B5 end to end and writes every result with finite figures', { timeout: 600_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, out).toBe(0);
    const run = JSON.parse(readFileSync(new URL('../../bench/results/run.smoke.json', import.meta.url), 'utf8')) as { results: BenchResult[] };
    const names = run.results.map((r) => r.name.split(' ')[0]);
    for (const b of ['B1', 'B2', 'B3', 'B4', 'B5']) expect(names, b).toContain(b);
    for (const r of run.results) {
      expect(Number.isFinite(r.ratio.median) && r.ratio.median > 0, r.name).toBe(true);
      expect(r.env.commit, r.name).toBeTruthy();
    }
    const race = run.results.filter((r) => r.name.startsWith('B2'));
    for (const r of race) expect(r.extra?.doubleClaims).toBe(0);
    const b1 = run.results.find((r) => r.name.startsWith('B1 R1 '));
    // The claim workflow's history per claim is measured (test/workflows/history-size.test.ts bounds it).
    expect(Number(b1?.extra?.historyEventsPerClaim)).toBeGreaterThan(0);
  });
});
