// What the fault-injection files share: spawning real service processes, the suite's size, the bots that play
// fact-checkers and editors, counting rows in Postgres against what each claim must have, and the figures file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import type { Db } from '../../db/index.ts';
import type { ClaimWorkflows, TaskAction } from '../../src/claims-client/claim-workflows.ts';
import { errorLogSink } from '../support/error-logs.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Sizes of the fault-injection suite: 'ci' (the default, within a few minutes) or 'full' (`npm run test:reliability -- --full`). */
    reliabilityScale: 'ci' | 'full';
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const WORKER_SCRIPT = path.join(here, 'worker-process.ts');
export const API_SCRIPT = path.join(here, 'api-process.ts');

/** How big each scenario is. CI runs the same scenarios smaller; see README.md in this folder. */
export function reliabilityScale(): { name: 'ci' | 'full'; claimsInFlight: number; workerKills: number; outageMs: number } {
  let name: 'ci' | 'full' = 'ci';
  try {
    name = inject('reliabilityScale') ?? 'ci';
  } catch {
    name = 'ci';
  }
  // 200 claims with three kills took 9.5 minutes on the shared two-core CI machine: CI runs 40, `--full` runs 200.
  return name === 'full' ? { name, claimsInFlight: 200, workerKills: 3, outageMs: 10_000 } : { name, claimsInFlight: 40, workerKills: 3, outageMs: 10_000 };
}

export interface ServiceProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, and wait until the process is really gone. */
  kill(): Promise<void>;
}

/**
 * Starts one of this folder's process scripts with the test's own runtime (node + tsx) and resolves once it prints
 * its ready line. Its pino lines at error level count against the test like the test's own logger's.
 */
export async function spawnService(script: string, args: string[], readyLine: string): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout?.on('data', errorLogSink());
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes(readyLine)) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`${path.basename(script)} exited (${code}) before it was ready: ${stderr}`)));
  });
  return {
    child,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { seededRandom } from '../../src/domain/seeded-random.ts';

/** The audit events of a claim that went review → approval → verdict once, each exactly once (task_claimed twice). */
export const ONE_ROUND_EVENTS = ['automated_checks', 'research_started', 'review_opened', 'task_claimed', 'task_claimed', 'verdict_proposed', 'verdict_recorded'];

export interface RowCount {
  lost: number;
  doubled: number;
  /** Every row counted, for the figures. */
  rows: number;
  problems: string[];
}

function compareMultiset(what: string, expected: string[], actual: string[], out: RowCount): void {
  const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const want = count(expected);
  const got = count(actual);
  for (const key of new Set([...want.keys(), ...got.keys()])) {
    const diff = (got.get(key) ?? 0) - (want.get(key) ?? 0);
    if (diff > 0) {
      out.doubled += diff;
      out.problems.push(`${what}: ${diff} extra ${key}`);
    } else if (diff < 0) {
      out.lost += -diff;
      out.problems.push(`${what}: ${-diff} missing ${key}`);
    }
  }
}

/**
 * Counts in Postgres what each claim that ran one review round to its verdict must have: one completed review and
 * one completed approval task, one verdict (version 1), the audit events of ONE_ROUND_EVENTS once each, and evidence
 * rows that are never the same item twice. Anything missing is lost, anything extra doubled.
 */
export async function countOneRoundRows(db: Db, claimIds: string[]): Promise<RowCount> {
  const out: RowCount = { lost: 0, doubled: 0, rows: 0, problems: [] };
  const tasks = await db.selectFrom('review_tasks').select(['claim_id', 'kind', 'round', 'status']).where('claim_id', 'in', claimIds).execute();
  const events = await db.selectFrom('claim_events').select(['claim_id', 'type']).where('claim_id', 'in', claimIds).execute();
  const verdicts = await db.selectFrom('verdicts').select(['claim_id', 'version']).where('claim_id', 'in', claimIds).execute();
  const evidence = await db.selectFrom('claim_evidence').select(['claim_id', 'content_hash']).where('claim_id', 'in', claimIds).execute();
  const claims = await db.selectFrom('claims').select(['id', 'status']).where('id', 'in', claimIds).execute();
  out.rows = tasks.length + events.length + verdicts.length + evidence.length;
  for (const id of claimIds) {
    compareMultiset(`claim ${id} tasks`, ['review:1:completed', 'approval:1:completed'], tasks.filter((t) => t.claim_id === id).map((t) => `${t.kind}:${t.round}:${t.status}`), out);
    compareMultiset(`claim ${id} events`, ONE_ROUND_EVENTS, events.filter((e) => e.claim_id === id).map((e) => e.type), out);
    compareMultiset(`claim ${id} verdicts`, ['1'], verdicts.filter((v) => v.claim_id === id).map((v) => String(v.version)), out);
    const hashes = evidence.filter((e) => e.claim_id === id).map((e) => e.content_hash);
    compareMultiset(`claim ${id} evidence`, [...new Set(hashes)], hashes, out);
    const status = claims.find((c) => c.id === id)?.status;
    if (status !== 'verdict_recorded') out.problems.push(`claim ${id} ended ${status ?? 'missing'}, not verdict_recorded`);
  }
  return out;
}

export const alice = { name: 'alice', role: 'fact_checker' } as const;
export const erin = { name: 'erin', role: 'editor' } as const;
export const sampleVerdict = {
  rating: 'mostly_true' as const,
  summary: 'The figures match the statistics office release.',
  rationale: 'Checked against the quarterly labour force survey.',
  citations: [{ url: 'https://stats.example.org/lfs', stance: 'supports' as const }],
};

/**
 * Bot reviewers and editors driving claims through their workflows with the same client the API uses: each takes
 * the open task it finds in Postgres, claims it and proposes a verdict (alice) or approves it (erin). Every action
 * carries an idempotency key, so a retry after a timeout (the worker was dead) is the same Update, never a second
 * one; `retries` counts those re-sent actions.
 */
export class Bots {
  retries = 0;
  private stopped = false;
  private readonly done = new Set<string>();
  private readonly inFlight = new Set<string>();
  constructor(
    private readonly db: Db,
    private readonly flows: ClaimWorkflows,
    private readonly claimIds: string[],
    private readonly concurrency = 8,
  ) {}

  /** Claims whose verdict the bots have approved. */
  get approved(): number {
    return this.done.size;
  }

  stop(): void {
    this.stopped = true;
  }

  private async act(claimId: string, action: TaskAction, key: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.retries += 1;
      try {
        await this.flows.act(claimId, action, { idempotencyKey: `bot:${key}` });
        return;
      } catch (err) {
        // A refusal is final (the workflow judged it); "timeout" and "stuck" (the API's 503 with Retry-After: the
        // Update did not finish in time, e.g. while no worker ran) and anything else is the outage the test made:
        // send it again, with the same key.
        const e = err as { name?: string; code?: string };
        if (e.name === 'TaskActionError' && e.code !== 'timeout' && e.code !== 'stuck') throw err;
        if (this.stopped) throw err;
        await sleep(500);
      }
    }
  }

  private async work(claimId: string, task: { id: string; kind: string }): Promise<void> {
    if (task.kind === 'review') {
      await this.act(claimId, { type: 'claim', taskId: task.id, actor: alice }, `${task.id}:claim`);
      await this.act(claimId, { type: 'submitVerdict', taskId: task.id, actor: alice, verdict: sampleVerdict }, `${task.id}:verdict`);
    } else {
      await this.act(claimId, { type: 'claim', taskId: task.id, actor: erin }, `${task.id}:claim`);
      await this.act(claimId, { type: 'approve', taskId: task.id, actor: erin }, `${task.id}:approve`);
      this.done.add(claimId);
    }
  }

  /** Runs until every claim in the list (which the caller may still add to) is approved, or stop(); resolves then. */
  async run(): Promise<void> {
    const pending = new Set<Promise<void>>();
    while (!this.stopped && this.done.size < this.claimIds.length) {
      const open = await this.db
        .selectFrom('review_tasks')
        .select(['id', 'claim_id', 'kind'])
        .where('claim_id', 'in', this.claimIds)
        .where('status', '=', 'open')
        .orderBy('id')
        .execute()
        .catch(() => []);
      for (const t of open) {
        if (pending.size >= this.concurrency) break;
        if (this.inFlight.has(t.id) || this.done.has(t.claim_id)) continue;
        this.inFlight.add(t.id);
        const p: Promise<void> = this.work(t.claim_id, t)
          .catch(() => undefined)
          .finally(() => {
            pending.delete(p);
            if (t.kind === 'review' || !this.done.has(t.claim_id)) this.inFlight.delete(t.id);
          });
        pending.add(p);
      }
      if (pending.size >= this.concurrency) await Promise.race(pending);
      else await sleep(200);
    }
    await Promise.all(pending);
  }
}

export interface Figures {
  claimsInFlight: number;
  killsSurvived: number;
  outagesSurvived: number;
  retriesSent: number;
  rowsLost: number;
  rowsDoubled: number;
  [detail: string]: unknown;
}

/** Writes one scenario's figures to test-results/reliability/<scenario>.json; scripts/reliability-report.ts sums them. */
export function writeFigures(scenario: string, figures: Figures): void {
  const dir = path.join(here, '..', '..', 'test-results', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${scenario}.json`), `${JSON.stringify({ scenario, scale: reliabilityScale().name, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
}
