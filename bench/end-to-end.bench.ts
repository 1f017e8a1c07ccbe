// B5 — end to end, as a newsroom's burst meets the service: M articles (about four claims each) POSTed at once
// until every claim waits in the review queue (p50/p95 per article), then bots working the queues over HTTP, each
// under the per-token rate limit, until every claim has a verdict (claims/s). The same burst and bots run against
// this commit's workflows and a baseline commit's (default main) in the same run, on the same server.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createUser } from '../src/accounts/users.ts';
import { buildApp } from '../src/api/app.ts';
import { createClaimWorkflows } from '../src/claims-client/claim-workflows.ts';
import { loadConfig } from '../src/config/index.ts';
import { benchEnv, quantile, ratioOf, repeat, stat, target, writeResult, printTable, type BenchResult } from './lib.ts';
import { baselineWorkflowsPath, benchLog, openBenchStack, startBenchWorker, type BenchStack } from './support.ts';

function article(tag: string): { title: string; body: string; url: string; publisher: string } {
  return {
    title: `Borough report ${tag}`,
    url: `https://news.example.com/borough-${tag}`,
    publisher: 'Example Gazette',
    body:
      `The council leader, Jane Roe, said on Monday that spending on libraries had risen by 40% since 2019, reaching £12 million this year (ref ${tag}). ` +
      `Unemployment in the borough fell to 3.1% in March, according to the Office for National Statistics. ` +
      `The council also claimed that crime fell by 15% after 200 new street lights were installed. ` +
      `House prices rose from £250,000 to £300,000 in two years, an increase of 20%, the mayor said. ` +
      `Residents will be able to comment on the plans until the end of the month.`,
  };
}

interface Served {
  app: FastifyInstance;
  url: string;
}

async function serve(stack: BenchStack, taskQueue: string): Promise<Served> {
  // The service's own defaults (per-token rate limit included): bots have to live within them like people do.
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const app = await buildApp({ db: stack.db, temporal: stack.client, claimWorkflows: createClaimWorkflows(stack.client, { taskQueue }), config, log: pino({ level: 'silent' }), databaseUrl: stack.databaseUrl });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

type Item = { task: { id: string }; claim: { id: string } };

/** A bot: takes the first item of its queue it has not tried, claims it, decides it; paced to stay under the limit. */
async function bot(url: string, token: string, kind: 'review' | 'approval', done: () => boolean, perMinute: number): Promise<number> {
  const minGapMs = 60_000 / perMinute;
  let last = 0;
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const wait = last + minGapMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    last = performance.now();
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
  };
  let decided = 0;
  while (!done()) {
    const queue = await call('GET', `/api/queue?kind=${kind}&filter=unassigned&limit=5`);
    if (queue.status === 429) continue;
    const items = (queue.json as { items?: Item[] }).items ?? [];
    if (items.length === 0) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    const item = items[Math.floor(Math.random() * items.length)] as Item;
    const claimed = await call('POST', `/api/tasks/${item.task.id}/claim`);
    if (claimed.status !== 200) continue;
    const decision =
      kind === 'review'
        ? await call('POST', `/api/tasks/${item.task.id}/verdict`, { rating: 'mostly_true', summary: 'Matches the release.', citations: [{ url: 'https://stats.example.org/r', stance: 'supports' }] })
        : await call('POST', `/api/tasks/${item.task.id}/approve`);
    if (decision.status === 200) decided += 1;
  }
  return decided;
}

async function burst(stack: BenchStack, served: Served, tokens: { editor: string; checkers: string[]; editors: string[] }, articles: number): Promise<{ perArticleMs: number[]; claims: number; claimsPerSecond: number; burstMs: number }> {
  const t0 = performance.now();
  const ids = await Promise.all(
    Array.from({ length: articles }, async () => {
      const res = await fetch(`${served.url}/api/articles`, { method: 'POST', headers: { authorization: `Bearer ${tokens.editor}`, 'content-type': 'application/json' }, body: JSON.stringify(article(randomUUID().slice(0, 8))) });
      if (res.status !== 202) throw new Error(`POST /api/articles: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { article: { id: string } }).article.id;
    }),
  );
  // Per article: from the burst's start until every one of its check-worthy claims has an open review task (a sentence
  // stored under the threshold, status 'extracted', gets no workflow and never a task).
  const waiting = new Map(ids.map((id) => [id, 0]));
  const perArticleMs: number[] = [];
  let claimIds: string[] = [];
  while (waiting.size > 0) {
    const rows = await stack.db
      .selectFrom('claims as c')
      .leftJoin('review_tasks as t', (j) => j.onRef('t.claim_id', '=', 'c.id').on('t.kind', '=', 'review'))
      .select(['c.article_id', 'c.id', 't.id as task_id'])
      .where('c.article_id', 'in', [...waiting.keys()])
      .where('c.status', '!=', 'extracted')
      .execute();
    const byArticle = new Map<string, { claims: number; queued: number }>();
    for (const r of rows) {
      const a = byArticle.get(String(r.article_id)) ?? { claims: 0, queued: 0 };
      a.claims += 1;
      if (r.task_id) a.queued += 1;
      byArticle.set(String(r.article_id), a);
    }
    for (const [id, a] of byArticle) {
      if (a.claims > 0 && a.queued === a.claims) {
        waiting.delete(id);
        perArticleMs.push(performance.now() - t0);
        claimIds = claimIds.concat(rows.filter((r) => String(r.article_id) === id).map((r) => r.id));
      }
    }
    if (performance.now() - t0 > 300_000) throw new Error(`burst: ${waiting.size} articles not queued after 300 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const burstMs = performance.now() - t0;

  // Bots to verdicts.
  const t1 = performance.now();
  let finished = false;
  const bots = [...tokens.checkers.map((t) => bot(served.url, t, 'review', () => finished, 540)), ...tokens.editors.map((t) => bot(served.url, t, 'approval', () => finished, 540))];
  for (;;) {
    const row = await stack.db.selectFrom('claims').select((eb) => eb.fn.countAll<string>().as('n')).where('id', 'in', claimIds).where('status', '=', 'verdict_recorded').executeTakeFirstOrThrow();
    if (Number(row.n) === claimIds.length) break;
    if (performance.now() - t1 > 600_000) throw new Error('bots: not every claim has a verdict after 600 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - t1) / 1000;
  finished = true;
  await Promise.all(bots);
  return { perArticleMs, claims: claimIds.length, claimsPerSecond: claimIds.length / seconds, burstMs };
}

export async function runB5(opts: { server: 'dev' | 'postgres'; address?: string; articles: number; runs: number; bots: number; baselineRef: string }): Promise<BenchResult[]> {
  const stack = await openBenchStack(opts.server, opts.address);
  const suffix = Date.now().toString(36);
  const current = await startBenchWorker(stack, `bench-b5-${suffix}`);
  const before = opts.baselineRef ? await startBenchWorker(stack, `bench-b5-base-${suffix}`, baselineWorkflowsPath(opts.baselineRef)) : null;
  const servedNow = await serve(stack, current.taskQueue);
  const servedBefore = before ? await serve(stack, before.taskQueue) : null;
  const mk = async (role: 'fact_checker' | 'editor', name: string) => (await createUser(stack.db, { name: `${name}-${suffix}`, role })).token;
  const tokens = {
    editor: await mk('editor', 'bench-desk'),
    checkers: await Promise.all(Array.from({ length: opts.bots }, (_, i) => mk('fact_checker', `bench-fc${i}`))),
    editors: await Promise.all(Array.from({ length: opts.bots }, (_, i) => mk('editor', `bench-ed${i}`))),
  };
  const p50: number[] = [];
  const p95: number[] = [];
  const rate: number[] = [];
  const p95Before: number[] = [];
  const rateBefore: number[] = [];
  let claimsPerBurst = 0;
  try {
    await repeat(opts.runs, async (i) => {
      const now = await burst(stack, servedNow, tokens, opts.articles);
      const was = servedBefore ? await burst(stack, servedBefore, tokens, opts.articles) : null;
      benchLog.info(
        `B5 run ${i < 0 ? 'warm-up' : i + 1}: ${now.claims} claims, per article p50 ${quantile(now.perArticleMs, 0.5).toFixed(0)} ms p95 ${quantile(now.perArticleMs, 0.95).toFixed(0)} ms, bots ${now.claimsPerSecond.toFixed(2)} claims/s` +
          (was ? `; ${opts.baselineRef}: p95 ${quantile(was.perArticleMs, 0.95).toFixed(0)} ms, ${was.claimsPerSecond.toFixed(2)} claims/s` : ''),
      );
      if (i < 0) return 0;
      claimsPerBurst = now.claims;
      p50.push(quantile(now.perArticleMs, 0.5));
      p95.push(quantile(now.perArticleMs, 0.95));
      rate.push(now.claimsPerSecond);
      if (was) {
        p95Before.push(quantile(was.perArticleMs, 0.95));
        rateBefore.push(was.claimsPerSecond);
      }
      return 0;
    });
  } finally {
    await servedNow.app.close();
    await servedBefore?.app.close();
    await current.stop();
    await before?.stop();
    await stack.close();
  }
  const env = benchEnv(opts.server);
  const extra = { articles: opts.articles, claimsPerBurst, botsPerRole: opts.bots, botRequestsPerMinute: 540, baselineRef: opts.baselineRef, p50PerArticleMs: stat(p50) };
  const results: BenchResult[] = [];
  if (rateBefore.length > 0) {
    const speedup = ratioOf(rate, rateBefore);
    results.push(
      { name: `B5 bots to verdicts vs ${opts.baselineRef}`, numerator: { label: 'claims/s (this commit)', unit: 'claims/s', ...stat(rate) }, denominator: { label: `claims/s (${opts.baselineRef})`, unit: 'claims/s', ...stat(rateBefore) }, ratio: speedup, target: target('>=', 3, speedup.median, 'see bench/README.md: what bounds the bots'), runs: opts.runs, env, extra },
      { name: `B5 burst p95 per article vs ${opts.baselineRef}`, numerator: { label: 'p95 until queued (this commit)', unit: 'ms', ...stat(p95) }, denominator: { label: `p95 (${opts.baselineRef})`, unit: 'ms', ...stat(p95Before) }, ratio: ratioOf(p95, p95Before), runs: opts.runs, env, extra },
    );
  }
  const p95s = stat(p95);
  results.push({ name: `B5 burst p95 per article vs 5 s target (${opts.articles} articles)`, numerator: { label: 'p95 until every claim is queued', unit: 'ms', ...p95s }, denominator: { label: 'target', unit: 'ms', ...stat([5000]) }, ratio: stat(p95.map((v) => v / 5000)), target: target('<=', 1, p95s.median / 5000, 'intake (extraction, one child workflow per claim, research) on a loaded 2-core machine'), runs: opts.runs, env, extra });
  for (const r of results) writeResult(r);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { server: { type: 'string', default: 'dev' }, 'temporal-address': { type: 'string' }, articles: { type: 'string', default: '30' }, runs: { type: 'string', default: '5' }, bots: { type: 'string', default: '4' }, baseline: { type: 'string', default: 'main' } } });
  const results = await runB5({ server: values.server === 'postgres' ? 'postgres' : 'dev', address: values['temporal-address'], articles: Number(values.articles), runs: Number(values.runs), bots: Number(values.bots), baselineRef: values.baseline ?? '' });
  printTable(results);
}
