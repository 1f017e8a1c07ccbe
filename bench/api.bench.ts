// HTTP API benchmark: builds the app (no listening, app.inject) over a scratch database holding a busy
// newsroom's worth of rows, then times the read routes a queue page and the dashboard hit most. Prints
// p50/p95 per route and the ratio of p95 to its target (<= 1 passes). Also times the deepest keyset page
// against the first, which should cost the same. Not a test: `npm run bench:api`.
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createDb } from '../db/index.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { buildApp } from '../src/api/app.ts';
import { createUser } from '../src/accounts/users.ts';
import { loadConfig } from '../src/config/index.ts';
import { createClaimWorkflows } from '../src/claims-client/claim-workflows.ts';
import { dropDatabase, ensureDatabase, provisionPostgres, withDatabase } from '../src/services/postgres.ts';

const { values: args } = parseArgs({ options: { claims: { type: 'string', default: '100000' }, runs: { type: 'string', default: '200' } } });
const CLAIMS = Number(args.claims);
const RUNS = Number(args.runs);

const TARGETS_MS: Record<string, number> = {
  'GET /api/claims': 50,
  'GET /api/claims?status': 50,
  'GET /api/claims?q': 100,
  'GET /api/claims deep page': 50,
  'GET /api/queue?kind=review': 50,
  'GET /api/claims/:id': 30,
  'GET /api/claims/:id/claimreview': 30,
  'GET /api/claimreviews': 100,
  'GET /api/dashboard': 250,
};

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function main(): Promise<void> {
  // Limits out of the way (they are still counted, in Postgres, on every request, as in production).
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '100000000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000000' });
  const log = { info: (m: string) => console.log(`[bench] ${m}`), warn: (m: string) => console.warn(`[bench] ${m}`) };
  const server = await provisionPostgres(
    { databaseUrl: config.DATABASE_URL, mode: config.CLAIMDESK_POSTGRES, localUrl: config.LOCAL_POSTGRES_URL, database: 'postgres', stateDir: config.stateDir, embeddedPort: config.EMBEDDED_POSTGRES_PORT },
    log,
  );
  const dbName = `claimdesk_bench_api_${Date.now().toString(36)}`;
  await ensureDatabase(server.adminUrl, dbName);
  const url = withDatabase(server.adminUrl, dbName);
  const db = createDb(url, { max: 4, applicationName: 'claimdesk-bench' });
  // Read routes never reach Temporal; a lazy connection to nowhere keeps the bench self-contained.
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const temporal = new Client({ connection, namespace: 'default' });
  try {
    await migrateToLatest(db);
    const started = performance.now();
    // Rows generated in SQL: a year of claims, a quarter of them with a review task, a twentieth with verdicts.
    await sql`INSERT INTO articles (title, body, url, publisher, content_hash, created_at)
      SELECT 'Article ' || g, 'Body ' || g, 'https://news.example.com/a/' || g, 'Gazette', md5(g::text), now() - (g || ' minutes')::interval
      FROM generate_series(1, ${Math.ceil(CLAIMS / 10)}) g`.execute(db);
    await sql`INSERT INTO claims (article_id, text, start_offset, end_offset, claimant, kind, score, status, priority, fingerprint, created_at, updated_at)
      SELECT 1 + (g % ${Math.ceil(CLAIMS / 10)}), 'Claim ' || g || ' says spending on ' || (ARRAY['schools','hospitals','roads','prisons','parks'])[1 + g % 5] || ' rose by ' || (g % 90) || '%',
        g, g + 40, 'Speaker ' || (g % 50), 'statistic', (g % 100) / 100.0,
        (ARRAY['extracted','researching','awaiting_review','in_review','awaiting_approval','verdict_recorded','withdrawn'])[1 + g % 7],
        (ARRAY['low','normal','high','urgent'])[1 + g % 4], 'claim ' || g, now() - (g || ' seconds')::interval, now()
      FROM generate_series(1, ${CLAIMS}) g`.execute(db);
    await sql`INSERT INTO review_tasks (claim_id, kind, status, assignee, priority, due_at, round, idempotency_key, created_at, claimed_at, completed_at)
      SELECT c.id, CASE WHEN c.status = 'awaiting_approval' THEN 'approval' ELSE 'review' END,
        CASE c.status WHEN 'awaiting_review' THEN 'open' WHEN 'awaiting_approval' THEN 'open' WHEN 'in_review' THEN 'claimed' ELSE 'completed' END,
        CASE WHEN c.status = 'in_review' THEN 'checker' || (c.id::int % 20) END, c.priority, c.created_at + interval '1 day', 1, 'bench-' || c.id,
        c.created_at, c.created_at + interval '30 minutes', CASE WHEN c.status IN ('verdict_recorded', 'withdrawn') THEN c.created_at + interval '3 hours' END
      FROM claims c WHERE c.status NOT IN ('extracted', 'researching')`.execute(db);
    await sql`INSERT INTO verdicts (claim_id, version, rating, summary, reviewer, approver, recorded_at)
      SELECT id, 1, (ARRAY['true','mostly_true','half_true','mostly_false','false','misleading','unverifiable'])[1 + id::int % 7], 'Summary', 'checker', 'editor', created_at + interval '3 hours'
      FROM claims WHERE status = 'verdict_recorded'`.execute(db);
    await sql`ANALYZE`.execute(db);
    console.log(`[bench] ${CLAIMS} claims with tasks and verdicts generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const editor = await createUser(db, { name: 'bench-editor', role: 'editor' });
    const checker = await createUser(db, { name: 'bench-checker', role: 'fact_checker' });
    const app = await buildApp({
      db,
      temporal,
      claimWorkflows: createClaimWorkflows(temporal, { taskQueue: 'bench' }),
      config,
      log: pino({ level: 'silent' }),
      databaseUrl: url,
      // The feed's short cache would turn its figures into a memory read: measure the query, as before.
      options: { publicCacheMs: 0 },
    });
    const someClaim = await db.selectFrom('claims').select('id').where('status', '=', 'verdict_recorded').orderBy('id').limit(1).executeTakeFirstOrThrow();

    // The cursor of the page 200 pages in, to show keyset pages cost the same at any depth.
    let deepCursor: string | null = null;
    for (let i = 0; i < 200; i++) {
      const res: LightMyRequestResponse = await app.inject({ method: 'GET', url: `/api/claims?limit=50${deepCursor ? `&cursor=${deepCursor}` : ''}`, headers: { authorization: `Bearer ${editor.token}` } });
      deepCursor = res.json<{ nextCursor: string | null }>().nextCursor;
    }

    const cases: [string, string, string][] = [
      ['GET /api/claims', '/api/claims?limit=50', editor.token],
      ['GET /api/claims?status', '/api/claims?limit=50&status=awaiting_review', editor.token],
      ['GET /api/claims?q', '/api/claims?limit=50&q=hospitals%20rose%20by%2042', editor.token],
      ['GET /api/claims deep page', `/api/claims?limit=50&cursor=${deepCursor}`, editor.token],
      ['GET /api/queue?kind=review', '/api/queue?kind=review&limit=50', checker.token],
      ['GET /api/claims/:id', `/api/claims/${someClaim.id}`, editor.token],
      ['GET /api/claims/:id/claimreview', `/api/claims/${someClaim.id}/claimreview`, ''],
      ['GET /api/claimreviews', '/api/claimreviews?limit=50', ''],
      ['GET /api/dashboard', '/api/dashboard', editor.token],
    ];
    const rows: Record<string, string | number>[] = [];
    let failed = false;
    for (const [name, path, token] of cases) {
      const times: number[] = [];
      const runs = name === 'GET /api/dashboard' ? Math.max(10, Math.floor(RUNS / 10)) : RUNS;
      for (let i = 0; i < runs + 5; i++) {
        const t0 = performance.now();
        const res: LightMyRequestResponse = await app.inject({ method: 'GET', url: path, headers: token ? { authorization: `Bearer ${token}` } : {} });
        const ms = performance.now() - t0;
        if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        if (i >= 5) times.push(ms);
      }
      times.sort((a, b) => a - b);
      const p95 = quantile(times, 0.95);
      const target = TARGETS_MS[name] ?? 50;
      if (p95 > target) failed = true;
      rows.push({ route: name, runs, p50: Number(quantile(times, 0.5).toFixed(1)), p95: Number(p95.toFixed(1)), target, ratio: Number((p95 / target).toFixed(2)) });
    }
    console.table(rows);
    const first = rows.find((r) => r.route === 'GET /api/claims');
    const deep = rows.find((r) => r.route === 'GET /api/claims deep page');
    console.log(`deep page (10,000 rows in) p50 / first page p50 = ${(Number(deep?.p50) / Number(first?.p50)).toFixed(2)} (keyset: ~1)`);
    console.log(failed ? 'some routes are over their p95 target' : 'every route within its p95 target');
    await app.close();
  } finally {
    await db.destroy();
    await connection.close().catch(() => undefined);
    await dropDatabase(server.adminUrl, dbName).catch(() => undefined);
    await server.stop();
  }
}

await main();
