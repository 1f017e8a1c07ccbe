import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import { createUser } from '../../src/accounts/users.ts';
import type { AppDeps, DemoMode } from '../../src/api/deps.ts';
import type { Db } from '../../db/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from '../../src/domain/review.ts';
import type { Role } from '../../src/domain/types.ts';
import { waitFor } from '../../src/services/net.ts';
import { TEST_WEBHOOK_SECRET_KEY } from '../support/activity-settings.ts';
import { openTestEnv, startTestWorker, testLogger, uniqueTaskQueue, type TestEnv } from '../support/env.ts';

export interface ApiHarness {
  env: TestEnv;
  app: FastifyInstance;
  claimWorkflows: ClaimWorkflows;
  taskQueue: string;
  config: Config;
  /** One user per role, plus spares, with their tokens. */
  tokens: { fact_checker: string; fact_checker2: string; editor: string; editor2: string; admin: string };
  names: { fact_checker: string; fact_checker2: string; editor: string; editor2: string; admin: string };
  req(opts: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** Second-long SLAs would make tests race against escalations; these are long enough to never fire. */
export const TEST_POLICY: ReviewPolicy = { ...DEFAULT_REVIEW_POLICY };

export async function uniqueUser(env: TestEnv, role: Role, prefix: string = role): Promise<{ name: string; token: string }> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const { token } = await createUser(env.db, { name, role });
  return { name, token };
}

export async function openApiHarness(opts: { publicCacheMs?: number; worker?: boolean; config?: Record<string, string>; heartbeatMs?: number; dashboardCacheMs?: number; policy?: ReviewPolicy | null; demo?: DemoMode; log?: Logger; webDist?: string } = {}): Promise<ApiHarness> {
  const env = await openTestEnv();
  const taskQueue = uniqueTaskQueue('api');
  const worker = opts.worker === false ? null : await startTestWorker(env, taskQueue);
  // policy null: the claims follow the policy versions stored in this file's database, as in production.
  const claimWorkflows = createClaimWorkflows(env.client, { taskQueue, ...(opts.policy === null ? {} : { policy: opts.policy ?? TEST_POLICY }), db: env.db });
  // The tests' webhook receivers listen on loopback, which the service refuses unless told otherwise: told here, explicitly.
  // Every injected request comes from 127.0.0.1: the per-address limit of anonymous routes is raised out of the way
  // (the rate-limit tests set their own).
  const config = loadConfig({
    PUBLISHER_NAME: 'Test Desk',
    PUBLISHER_URL: 'https://factcheck.example.org',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_SECRET_KEY: TEST_WEBHOOK_SECRET_KEY,
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    // The role matrix alone sends hundreds of wrong and revoked tokens from that one address.
    SIGNIN_FAILURES_PER_MINUTE: '1000000',
    ...opts.config,
  });
  const app = await buildApp({
    db: env.db,
    temporal: env.client,
    claimWorkflows,
    config,
    log: opts.log ?? testLogger,
    databaseUrl: env.databaseUrl,
    options: { heartbeatMs: opts.heartbeatMs ?? 15_000, dashboardCacheMs: opts.dashboardCacheMs ?? 0, publicCacheMs: opts.publicCacheMs ?? 0, demo: opts.demo ?? null, ...(opts.webDist ? { webDist: opts.webDist } : {}) },
  });
  const users = {
    fact_checker: await uniqueUser(env, 'fact_checker', 'fc'),
    fact_checker2: await uniqueUser(env, 'fact_checker', 'fc2'),
    editor: await uniqueUser(env, 'editor', 'ed'),
    editor2: await uniqueUser(env, 'editor', 'ed2'),
    admin: await uniqueUser(env, 'admin', 'adm'),
  };
  const tokens = Object.fromEntries(Object.entries(users).map(([k, v]) => [k, v.token])) as ApiHarness['tokens'];
  const names = Object.fromEntries(Object.entries(users).map(([k, v]) => [k, v.name])) as ApiHarness['names'];
  return {
    env,
    app,
    claimWorkflows,
    taskQueue,
    config,
    tokens,
    names,
    req: ({ token, headers, ...rest }) =>
      app.inject({ ...rest, headers: { ...(headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } }),
    close: async () => {
      await app.close();
      await worker?.stop();
      await env.close();
    },
  };
}

/**
 * Another API process in all but name: its own app over the harness's Postgres (or a Db of the test's own) and
 * Temporal, sharing nothing else with the first, for limits and caches that must hold across API processes.
 */
export async function openSecondApp(h: ApiHarness, opts: { config?: Record<string, string>; db?: Db; options?: AppDeps['options'] } = {}): Promise<FastifyInstance> {
  return buildApp({
    db: opts.db ?? h.env.db,
    temporal: h.env.client,
    claimWorkflows: createClaimWorkflows(h.env.client, { taskQueue: h.taskQueue }),
    config: loadConfig({ WEBHOOK_SECRET_KEY: TEST_WEBHOOK_SECRET_KEY, PUBLISHER_URL: 'https://factcheck.example.org', ...opts.config }),
    log: testLogger,
    databaseUrl: h.env.databaseUrl,
    options: { publicCacheMs: 0, ...opts.options },
  });
}

export function uniqueArticle(): { title: string; body: string; url: string; publisher: string } {
  const tag = randomUUID().slice(0, 8);
  return {
    title: `Council budget ${tag}`,
    url: `https://news.example.com/council-${tag}`,
    publisher: 'Example Gazette',
    body:
      `The council leader, Jane Roe, said on Monday that spending on libraries had risen by 40% since 2019, reaching £12 million this year (ref ${tag}). ` +
      `Unemployment in the borough fell to 3.1% in March, according to the Office for National Statistics. ` +
      `The council also claimed that crime fell by 15% after 200 new street lights were installed. ` +
      `Residents will be able to comment on the plans until the end of the month.`,
  };
}

/** Every item of a queue, following nextCursor: other test files' open tasks share the queue. */
export async function wholeQueue(h: ApiHarness, token: string, kind: 'review' | 'approval'): Promise<{ task: { id: string; priority: string }; claim: { id: string } }[]> {
  const items: { task: { id: string; priority: string }; claim: { id: string } }[] = [];
  let cursor: string | null = null;
  do {
    const res = await h.req({ method: 'GET', url: `/api/queue?kind=${kind}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token });
    if (res.statusCode !== 200) throw new Error(`queue: ${res.statusCode} ${res.body}`);
    const page = res.json<{ items: typeof items; nextCursor: string | null }>();
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** A task as the API answers it, with the fields the tests read. */
export interface ApiTask {
  id: string;
  kind: string;
  status: string;
  assignee: string | null;
  round: number;
  comment: string | null;
}

/** Waits (up to 30 s) until the claim has a task matching `pred`, as an editor sees it in GET /api/claims/:id. */
export async function waitTask(h: ApiHarness, claimId: string, pred: (t: ApiTask) => boolean): Promise<ApiTask> {
  let found: ApiTask | undefined;
  await waitFor(`task on claim ${claimId}`, async () => {
    found = (await h.req({ method: 'GET', url: `/api/claims/${claimId}`, token: h.tokens.editor })).json<{ tasks: ApiTask[] }>().tasks.find(pred);
    return found !== undefined;
  }, 30_000);
  return found as ApiTask;
}
