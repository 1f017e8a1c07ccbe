// B1 — workflow overhead: N claims through the real claim workflow (bots send each Update as soon as a task opens)
// against N empty workflows and N workflows with one no-op activity, same server, same worker settings, and against
// the claim workflow of a baseline commit (default main) in the same run. `npm run bench:b1 -- --help`.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { createClaimWorkflows } from '../src/claims-client/claim-workflows.ts';
import { claimWorkflowId } from '../workflows/messages.ts';
import { benchEnv, printTable, ratioOf, repeat, stat, target, writeResult, type BenchResult } from './lib.ts';
import { baselineWorkflowsPath, benchLog, insertClaims, openBenchStack, runBots, startBenchWorker, type BenchStack } from './support.ts';

async function historyLength(client: Client, workflowId: string): Promise<number> {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  return h.events?.length ?? 0;
}

async function timedWorkflows(stack: BenchStack, taskQueue: string, type: string, n: number): Promise<{ perSecond: number; events: number }> {
  const prefix = `bench-${type}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const started = performance.now();
  const handles = await Promise.all(Array.from({ length: n }, (_, i) => stack.client.workflow.start(type, { taskQueue, workflowId: `${prefix}-${i}`, args: [] })));
  await Promise.all(handles.map((h) => h.result()));
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: n / seconds, events: await historyLength(stack.client, `${prefix}-0`) };
}

async function timedClaims(stack: BenchStack, taskQueue: string, n: number): Promise<{ perSecond: number; events: number; eventsMax: number }> {
  const flows = createClaimWorkflows(stack.client, { taskQueue });
  const claimIds = await insertClaims(stack.db, n);
  const bots = runBots(stack.db, flows, claimIds);
  const started = performance.now();
  await Promise.all(claimIds.map((id) => flows.startClaim(id)));
  // A bot that gave up would leave its claim waiting for ever: its failure ends the run instead.
  await Promise.race([Promise.all(claimIds.map((id) => stack.client.workflow.getHandle(claimWorkflowId(id)).result())), bots.failed]);
  const seconds = (performance.now() - started) / 1000;
  await bots.stop();
  if (bots.errors.length > 0) throw new Error(`bots failed: ${String(bots.errors[0])}`);
  const lengths = await Promise.all(claimIds.slice(0, 10).map((id) => historyLength(stack.client, claimWorkflowId(id))));
  return { perSecond: n / seconds, events: stat(lengths).median, eventsMax: Math.max(...lengths) };
}

export async function runB1(opts: { server: 'dev' | 'postgres'; address?: string; claims: number; runs: number; baselineRef: string }): Promise<BenchResult[]> {
  const stack = await openBenchStack(opts.server, opts.address);
  const suffix = Date.now().toString(36);
  const current = await startBenchWorker(stack, `bench-b1-${suffix}`);
  const before = opts.baselineRef ? await startBenchWorker(stack, `bench-b1-base-${suffix}`, baselineWorkflowsPath(opts.baselineRef)) : null;
  const empty: number[] = [];
  const oneActivity: number[] = [];
  const claims: number[] = [];
  const baseline: number[] = [];
  let emptyEvents = 0;
  let activityEvents = 0;
  let claimEvents = 0;
  let claimEventsMax = 0;
  let baselineEvents = 0;
  try {
    await repeat(opts.runs, async (i) => {
      const e = await timedWorkflows(stack, current.taskQueue, 'benchEmptyWorkflow', opts.claims);
      const a = await timedWorkflows(stack, current.taskQueue, 'benchOneActivityWorkflow', opts.claims);
      const c = await timedClaims(stack, current.taskQueue, opts.claims);
      const b = before ? await timedClaims(stack, before.taskQueue, opts.claims) : null;
      benchLog.info(`B1 run ${i < 0 ? 'warm-up' : i + 1}: empty ${e.perSecond.toFixed(1)}/s, one activity ${a.perSecond.toFixed(1)}/s, claims ${c.perSecond.toFixed(2)}/s (${c.events} events)${b ? `, baseline claims ${b.perSecond.toFixed(2)}/s (${b.events} events)` : ''}`);
      if (i < 0) return 0;
      empty.push(e.perSecond);
      oneActivity.push(a.perSecond);
      claims.push(c.perSecond);
      if (b) baseline.push(b.perSecond);
      emptyEvents = e.events;
      activityEvents = a.events;
      claimEvents = c.events;
      claimEventsMax = Math.max(claimEventsMax, c.eventsMax);
      baselineEvents = b?.events ?? 0;
      return 0;
    });
  } finally {
    await current.stop();
    await before?.stop();
    await stack.close();
  }
  const env = benchEnv(opts.server);
  const r1 = ratioOf(claims, empty);
  const r1e = ratioOf(
    claims.map((c) => c * claimEvents),
    empty.map((e) => e * emptyEvents),
  );
  const extra = { claimsPerRun: opts.claims, historyEventsPerClaim: claimEvents, historyEventsPerClaimMax: claimEventsMax, historyEventsEmpty: emptyEvents, historyEventsOneActivity: activityEvents, baselineRef: opts.baselineRef, baselineHistoryEventsPerClaim: baselineEvents };
  const results: BenchResult[] = [
    {
      name: 'B1 R1 claims/s vs empty workflows/s',
      numerator: { label: 'claims', unit: 'claims/s', ...stat(claims) },
      denominator: { label: 'empty workflows', unit: 'wf/s', ...stat(empty) },
      ratio: r1,
      runs: opts.runs,
      env,
      extra,
    },
    {
      name: 'B1 R1e history events/s vs empty',
      numerator: { label: 'claim history events', unit: 'ev/s', ...stat(claims.map((c) => c * claimEvents)) },
      denominator: { label: 'empty workflow history events', unit: 'ev/s', ...stat(empty.map((e) => e * emptyEvents)) },
      ratio: r1e,
      target: target('>=', 0.8, r1e.median, 'a claim waits on two human round trips (four Updates, each a client round trip the empty workflow never makes), so its events/s is bounded by Update latency, not by the server'),
      runs: opts.runs,
      env,
      extra,
    },
    {
      name: 'B1 one no-op activity vs empty',
      numerator: { label: 'one-activity workflows', unit: 'wf/s', ...stat(oneActivity) },
      denominator: { label: 'empty workflows', unit: 'wf/s', ...stat(empty) },
      ratio: ratioOf(oneActivity, empty),
      runs: opts.runs,
      env,
      extra,
    },
  ];
  if (baseline.length > 0) {
    results.push({
      name: `B1 claims/s vs ${opts.baselineRef}`,
      numerator: { label: 'claims (this commit)', unit: 'claims/s', ...stat(claims) },
      denominator: { label: `claims (${opts.baselineRef})`, unit: 'claims/s', ...stat(baseline) },
      ratio: ratioOf(claims, baseline),
      runs: opts.runs,
      env,
      extra,
    });
  }
  for (const r of results) writeResult(r);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: 'dev' },
      'temporal-address': { type: 'string' },
      claims: { type: 'string', default: '20' },
      runs: { type: 'string', default: '5' },
      baseline: { type: 'string', default: 'main' },
    },
  });
  const results = await runB1({ server: values.server === 'postgres' ? 'postgres' : 'dev', address: values['temporal-address'], claims: Number(values.claims), runs: Number(values.runs), baselineRef: values.baseline ?? '' });
  printTable(results);
  console.log(`history events per claim: ${JSON.stringify(results[0]?.extra)}`);
}
