// What the Temporal benchmarks share: a scratch database, a Temporal server (the dev server as `npm start` runs it,
// or the Postgres-backed server at --temporal-address), a worker over the benchmarks' bundle, and claim bots.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createActivities } from '../activities/index.ts';
import { DEFAULT_ACTIVITY_SETTINGS } from '../activities/deps.ts';
import { createDb, type Db } from '../db/index.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { claimFingerprint } from '../src/domain/fingerprint.ts';
import { TaskActionError, type Actor } from '../src/domain/review.ts';
import type { ClaimWorkflows } from '../src/claims-client/claim-workflows.ts';
import { loadConfig } from '../src/config/index.ts';
import { freePort } from '../src/services/net.ts';
import { dropDatabase, ensureDatabase, provisionPostgres, withDatabase } from '../src/services/postgres.ts';
import { connectionAnswers, registerSearchAttributes, provisionTemporal } from '../src/services/temporal.ts';
import { OUTBOUND_ACTIVITIES, outboundTaskQueue } from '../src/domain/task-queues.ts';
import { DEV_ACTOR_SIGNING_KEYS } from '../src/domain/actor-signature.ts';
import { ACTOR_KEYS_PLACEHOLDER, injectActorKeys, installRuntime } from '../src/worker/index.ts';

export const benchLog = { info: (m: string) => console.log(`[bench] ${m}`), warn: (m: string) => console.warn(`[bench] ${m}`) };
export const quietLogger = pino({ level: 'warn' });

export interface BenchStack {
  server: 'dev' | 'postgres';
  db: Db;
  databaseUrl: string;
  temporalAddress: string;
  client: Client;
  close(): Promise<void>;
}

/**
 * A scratch claimdesk database and a Temporal server. `dev`: the dev server as `npm start` runs it (SQLite file in
 * WAL mode, in a temporary state dir). `postgres`: the real server at `address` (the one `claimdesk stack` runs).
 */
export async function openBenchStack(server: 'dev' | 'postgres', address: string | undefined): Promise<BenchStack> {
  const config = loadConfig({ CLAIMDESK_STATE_DIR: process.env.CLAIMDESK_STATE_DIR });
  const pgServer = await provisionPostgres(
    { databaseUrl: config.DATABASE_URL, mode: config.CLAIMDESK_POSTGRES, localUrl: config.LOCAL_POSTGRES_URL, database: 'postgres', stateDir: config.stateDir, embeddedPort: config.EMBEDDED_POSTGRES_PORT },
    benchLog,
  );
  const dbName = `claimdesk_bench_${Date.now().toString(36)}_${process.pid}`;
  await ensureDatabase(pgServer.adminUrl, dbName);
  const databaseUrl = withDatabase(pgServer.adminUrl, dbName);
  const db = createDb(databaseUrl, { max: 10, applicationName: 'claimdesk-bench' });
  await migrateToLatest(db);
  // Workflow ids come from row ids (article-<id>, claim-<id>). A long-lived server (the Postgres-backed one) keeps
  // the ids of earlier runs, whose scratch databases counted from 1 too: a reused id is refused as a duplicate and its
  // article never starts. Each scratch database counts from its own random far offset.
  const base = 1_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000_000;
  await sql`SELECT setval(c.oid::regclass, ${base}::bigint, false) FROM pg_class c WHERE c.relkind = 'S'`.execute(db);
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-bench-'));
  let temporal: { address: string; stop(): Promise<void> };
  if (server === 'dev') {
    temporal = await provisionTemporal(
      { namespace: 'default', cliPath: config.TEMPORAL_CLI_PATH, envPath: process.env.PATH, devPort: await freePort(), uiPort: null, dbFilename: path.join(stateDir, 'temporal.db'), logFile: null },
      benchLog,
    );
  } else {
    if (!address) throw new Error('--server postgres needs --temporal-address host:port (the server `claimdesk stack` runs)');
    if (!(await connectionAnswers(address))) throw new Error(`no Temporal server answers at ${address}`);
    await registerSearchAttributes(address, 'default');
    temporal = { address, stop: async () => undefined };
  }
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    server,
    db,
    databaseUrl,
    temporalAddress: temporal.address,
    client,
    close: async () => {
      await connection.close();
      await db.destroy();
      await temporal.stop();
      await dropDatabase(pgServer.adminUrl, dbName).catch(() => undefined);
      await pgServer.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const benchWorkflows = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/**
 * The workflows of another commit (default `main`), unpacked next to this checkout so their imports resolve to the
 * same node_modules: the "before" of a before/after comparison in one run.
 */
export function baselineWorkflowsPath(ref: string): string {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim();
  const dir = path.join(root, 'bench', '.baseline', sha);
  if (!existsSync(path.join(dir, 'workflows', 'index.ts'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('bash', ['-c', `git archive ${sha} workflows src/domain | tar -x -C "${dir}"`], { cwd: root });
  }
  return path.join(dir, 'workflows', 'index.ts');
}

export interface BenchWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

/** A worker with production settings over the given bundle (default: today's workflows plus B1's baselines). */
export async function startBenchWorker(stack: BenchStack, taskQueue: string, workflowsPath = benchWorkflows): Promise<BenchWorker> {
  installRuntime(quietLogger, 0);
  const bundled = await bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  // Today's workflows verify signed actors with the keys the worker writes into its bundle (the API side signs with the
  // same development key); main's baseline bundle predates signing and has no place for them.
  const code = bundled.code.includes(ACTOR_KEYS_PLACEHOLDER) ? injectActorKeys(bundled.code, DEV_ACTOR_SIGNING_KEYS) : bundled.code;
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const activities = { ...createActivities({ db: stack.db, log: quietLogger, settings: DEFAULT_ACTIVITY_SETTINGS }), benchNoop: async () => undefined };
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: { code },
    activities,
    maxConcurrentActivityTaskExecutions: 50,
    shutdownGraceTime: '2s',
  });
  // Fact-check lookups and webhook deliveries run on their own queue, as in production (src/worker/index.ts).
  const outbound = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: outboundTaskQueue(taskQueue),
    activities: Object.fromEntries(OUTBOUND_ACTIVITIES.map((name) => [name, activities[name]])),
    maxConcurrentActivityTaskExecutions: 20,
    shutdownGraceTime: '2s',
  });
  const running = Promise.all([worker.run(), outbound.run()]);
  return {
    taskQueue,
    stop: async () => {
      worker.shutdown();
      outbound.shutdown();
      await running;
      await connection.close();
    },
  };
}

let inserted = 0;
export async function insertClaims(db: Db, n: number): Promise<string[]> {
  const rows = Array.from({ length: n }, () => {
    inserted += 1;
    const text = `Unemployment fell from 400 to 300 people, a drop of 25%, in district ${Date.now().toString(36)}-${inserted}.`;
    return { text, status: 'researching' as const, fingerprint: claimFingerprint(text) };
  });
  const out = await db.insertInto('claims').values(rows).returning('id').execute();
  return out.map((r) => r.id);
}

const reviewers: Actor[] = [
  { name: 'bot-ana', role: 'fact_checker' },
  { name: 'bot-ben', role: 'fact_checker' },
];
const editors: Actor[] = [
  { name: 'bot-carla', role: 'editor' },
  { name: 'bot-dev', role: 'editor' },
];
const verdict = { rating: 'mostly_true' as const, summary: 'Matches the release.', rationale: 'Checked against the statistics office.', citations: [{ url: 'https://stats.example.org/r', stance: 'supports' as const }] };

/**
 * Bots that act on every task of `claimIds` as soon as it opens: one query for open tasks every `pollMs`, then a
 * claim and a verdict (review) or a claim and an approval (approval), sent as Updates through `flows`.
 */
export function runBots(db: Db, flows: ClaimWorkflows, claimIds: string[], pollMs = 20): { stop(): Promise<void>; errors: unknown[]; failed: Promise<never> } {
  const seen = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  const errors: unknown[] = [];
  let fail: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  // (Nobody may be waiting on it yet: an unobserved rejection must not end the process.)
  failed.catch(() => undefined);
  let stopped = false;
  let n = 0;
  /**
   * As a client following the API's 503 + Retry-After: an action that timed out (its Update not answered within the
   * deadline on an overloaded machine, though it may have been applied) is sent again under the same idempotency
   * key, which returns the first result instead of applying it twice.
   */
  const act = async (claimId: string, action: Parameters<ClaimWorkflows['act']>[1], key: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await flows.act(claimId, action, { idempotencyKey: key });
        return;
      } catch (err) {
        if (!(err instanceof TaskActionError && err.code === 'timeout') || attempt >= 5) throw err;
      }
    }
  };
  const loop = (async () => {
    while (!stopped) {
      const open = await db.selectFrom('review_tasks').select(['id', 'claim_id', 'kind']).where('status', '=', 'open').where('claim_id', 'in', claimIds).execute();
      for (const t of open) {
        if (seen.has(t.id)) continue;
        seen.add(t.id);
        n += 1;
        const p = (async () => {
          if (t.kind === 'review') {
            const actor = reviewers[n % reviewers.length] as Actor;
            await act(t.claim_id, { type: 'claim', taskId: t.id, actor }, `bench-${t.id}-claim`);
            await act(t.claim_id, { type: 'submitVerdict', taskId: t.id, actor, verdict }, `bench-${t.id}-verdict`);
          } else {
            const actor = editors[n % editors.length] as Actor;
            await act(t.claim_id, { type: 'claim', taskId: t.id, actor }, `bench-${t.id}-claim`);
            await act(t.claim_id, { type: 'approve', taskId: t.id, actor }, `bench-${t.id}-approve`);
          }
        })().catch((err: unknown) => {
          errors.push(err);
          fail(err);
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();
  return {
    errors,
    failed,
    stop: async () => {
      stopped = true;
      await loop;
      await Promise.all([...inFlight]);
    },
  };
}
