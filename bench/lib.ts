// Shared by the benchmarks: repetitions with a warm-up, median/min/max, the printed table and the JSON results.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

export interface Stat {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, runs: values };
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** Runs `fn` once to warm up, then `runs` times; returns each measured run's value. */
export async function repeat(runs: number, fn: (i: number) => Promise<number>, warmups = 1): Promise<number[]> {
  for (let i = 0; i < warmups; i++) await fn(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn(i));
  return out;
}

export interface BenchResult {
  name: string;
  /** What the ratio divides, with its unit. */
  numerator: { label: string; unit: string } & Stat;
  denominator: { label: string; unit: string } & Stat;
  /** numerator.median / denominator.median (or per-run ratios' median when `perRun`). */
  ratio: Stat;
  target?: { op: '>=' | '<='; value: number; met: boolean; why?: string };
  runs: number;
  env: BenchEnv;
  extra?: Record<string, unknown>;
}

export interface BenchEnv {
  machine: string;
  cpus: number;
  node: string;
  date: string;
  commit: string;
  server: string;
}

export function benchEnv(server: string): BenchEnv {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    if (dirty) commit += '+dirty';
  } catch {
    // not a git checkout
  }
  return { machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`, cpus: os.cpus().length, node: process.version, date: new Date().toISOString(), commit, server };
}

/** Per-run ratios (pairs measured back to back in the same repetition), so noise between runs cancels. */
export function ratioOf(num: number[], den: number[]): Stat {
  return stat(num.map((n, i) => n / (den[i] as number)));
}

const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

export function printTable(results: BenchResult[]): void {
  const rows = results.map((r) => [
    r.env.server,
    r.name,
    `${fmt(r.numerator.median)} ${r.numerator.unit} (${fmt(r.numerator.min)}–${fmt(r.numerator.max)})`,
    `${fmt(r.denominator.median)} ${r.denominator.unit} (${fmt(r.denominator.min)}–${fmt(r.denominator.max)})`,
    `${fmt(r.ratio.median)} (${fmt(r.ratio.min)}–${fmt(r.ratio.max)})`,
    r.target ? `${r.target.op} ${r.target.value}: ${r.target.met ? 'met' : 'MISSED'}` : '',
    String(r.runs),
  ]);
  const header = ['server', 'benchmark', 'numerator median (min–max)', 'baseline median (min–max)', 'ratio', 'target', 'runs'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

export function writeResult(result: BenchResult): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${result.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.${result.env.server}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
  return file;
}

export function target(op: '>=' | '<=', value: number, actual: number, why?: string): NonNullable<BenchResult['target']> {
  const met = op === '>=' ? actual >= value : actual <= value;
  return { op, value, met, ...(met || !why ? {} : { why }) };
}
