// B2 — claim race: N open review tasks (real claim workflows), 2/4/8 concurrent clients claiming shuffled ids
// through the API. Zero double claims is a hard failure; throughput is compared with the same conditional UPDATE
// run directly against the same rows by the same number of clients.
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createUser } from '../src/accounts/users.ts';
import { buildApp } from '../src/api/app.ts';
import { createClaimWorkflows } from '../src/claims-client/claim-workflows.ts';
import { loadConfig } from '../src/config/index.ts';
import { claimWorkflowId } from '../workflows/messages.ts';
import { benchEnv, printTable, stat, target, writeResult, type BenchResult } from './lib.ts';
import { benchLog, insertClaims, openBenchStack, startBenchWorker } from './support.ts';

function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

export async function runB2(opts: { server: 'dev' | 'postgres'; address?: string; tasks: number; clients: number[] }): Promise<BenchResult[]> {
  const stack = await openBenchStack(opts.server, opts.address);
  const worker = await startBenchWorker(stack, `bench-b2-${Date.now().toString(36)}`);
  const flows = createClaimWorkflows(stack.client, { taskQueue: worker.taskQueue });
  const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000000' });
  const app = await buildApp({ db: stack.db, temporal: stack.client, claimWorkflows: flows, config, log: pino({ level: 'silent' }), databaseUrl: stack.databaseUrl });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const results: BenchResult[] = [];
  const env = benchEnv(opts.server);
  const started: string[] = [];
  try {
    for (const clients of opts.clients) {
      const tokens = await Promise.all(Array.from({ length: clients }, async (_, i) => (await createUser(stack.db, { name: `race-${clients}-${i}-${Date.now().toString(36)}`, role: 'fact_checker' })).token));
      const claimIds = await insertClaims(stack.db, opts.tasks);
      const t0 = performance.now();
      for (let i = 0; i < claimIds.length; i += 50) await Promise.all(claimIds.slice(i, i + 50).map((id) => flows.startClaim(id)));
      started.push(...claimIds);
      let taskIds: string[] = [];
      for (;;) {
        const rows = await stack.db.selectFrom('review_tasks').select('id').where('claim_id', 'in', claimIds).where('status', '=', 'open').execute();
        if (rows.length === claimIds.length) {
          taskIds = rows.map((r) => r.id);
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      benchLog.info(`B2: ${taskIds.length} open tasks ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

      // Through the API.
      const wins = new Map<string, number>();
      const t1 = performance.now();
      await Promise.all(
        tokens.map(async (token) => {
          for (const id of shuffled(taskIds)) {
            const res = await fetch(`${url}/api/tasks/${id}/claim`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
            await res.arrayBuffer();
            if (res.status === 200) wins.set(id, (wins.get(id) ?? 0) + 1);
            else if (res.status !== 409) throw new Error(`claim ${id}: ${res.status}`);
          }
        }),
      );
      const apiSeconds = (performance.now() - t1) / 1000;
      const doubleApi = [...wins.values()].filter((n) => n > 1).length;
      const events = await stack.db.selectFrom('claim_events').select(['claim_id', (eb) => eb.fn.countAll<string>().as('n')]).where('claim_id', 'in', claimIds).where('type', '=', 'task_claimed').groupBy('claim_id').execute();
      const doubleDb = events.filter((e) => Number(e.n) > 1).length;
      const claimedOnce = wins.size;
      if (doubleApi > 0 || doubleDb > 0) throw new Error(`B2: DOUBLE CLAIMS with ${clients} clients: ${doubleApi} tasks answered 200 twice, ${doubleDb} tasks with two task_claimed events`);
      if (claimedOnce !== taskIds.length) throw new Error(`B2: ${taskIds.length - claimedOnce} tasks never claimed`);

      // The same conditional UPDATE, directly, on the same rows put back to open.
      await stack.db.updateTable('review_tasks').set({ status: 'open', assignee: null }).where('id', 'in', taskIds).execute();
      let directWins = 0;
      const t2 = performance.now();
      await Promise.all(
        tokens.map(async (_, c) => {
          for (const id of shuffled(taskIds)) {
            const r = await sql<{ id: string }>`UPDATE review_tasks SET status = 'claimed', assignee = ${`direct-${c}`}, claimed_at = now() WHERE id = ${id} AND status = 'open' RETURNING id`.execute(stack.db);
            directWins += r.rows.length;
          }
        }),
      );
      const directSeconds = (performance.now() - t2) / 1000;
      if (directWins !== taskIds.length) throw new Error(`B2 direct: ${directWins} wins for ${taskIds.length} tasks`);
      const apiRate = taskIds.length / apiSeconds;
      const directRate = taskIds.length / directSeconds;
      const ratio = apiRate / directRate;
      benchLog.info(`B2 ${clients} clients: API ${apiRate.toFixed(1)} claims/s, direct UPDATE ${directRate.toFixed(1)} claims/s, 0 double claims`);
      results.push({
        name: `B2 claim race, ${clients} clients, API vs direct UPDATE`,
        numerator: { label: 'claims/s through the API', unit: 'claims/s', ...stat([apiRate]) },
        denominator: { label: 'same conditional UPDATE direct', unit: 'claims/s', ...stat([directRate]) },
        ratio: stat([ratio]),
        target: target('>=', 0.5, ratio, 'an API claim is a Temporal Update: a round trip to the server, a workflow task on the worker and a Postgres transaction, where the direct UPDATE is one statement; losers are refused by the workflow validator without a write'),
        runs: 1,
        env,
        extra: { tasks: taskIds.length, clients, doubleClaims: 0, attempts: clients * taskIds.length },
      });
    }
  } finally {
    await app.close();
    // Leave nothing running on a shared (Postgres-backed) server.
    for (const id of started) await stack.client.workflow.getHandle(claimWorkflowId(id)).terminate('benchmark finished').catch(() => undefined);
    await worker.stop();
    await stack.close();
  }
  for (const r of results) writeResult(r);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { server: { type: 'string', default: 'dev' }, 'temporal-address': { type: 'string' }, tasks: { type: 'string', default: '1000' }, clients: { type: 'string', default: '2,4,8' } } });
  const results = await runB2({ server: values.server === 'postgres' ? 'postgres' : 'dev', address: values['temporal-address'], tasks: Number(values.tasks), clients: (values.clients ?? '2').split(',').map(Number) });
  printTable(results);
}
