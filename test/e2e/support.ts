import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { AxeBuilder } from '@axe-core/playwright';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import { buildApp } from '../../src/api/app.ts';
import { createUser } from '../../src/accounts/users.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';
import type { Db } from '../../db/index.ts';
import { setPasswordHash } from '../../db/repositories/sessions.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { waitFor } from '../../src/services/net.ts';
import type { ReviewPolicy } from '../../src/domain/review.ts';
import type { Role } from '../../src/domain/types.ts';
import { createWorker, installRuntime } from '../../src/worker/index.ts';
import { openScratchDb } from '../evidence/scratch-db.ts';
import { testLogger, uniqueTaskQueue } from '../support/env.ts';
import { TEST_WEBHOOK_SECRET_KEY } from '../support/activity-settings.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface E2eUser {
  name: string;
  password: string;
  token: string;
  role: Role;
}

export interface E2eService {
  baseUrl: string;
  users: Record<'fc' | 'fc2' | 'ed' | 'ed2' | 'admin', E2eUser>;
  /** Writes rows straight into this service's private database (benchmarks). */
  seed(write: (db: Db) => Promise<void>): Promise<void>;
  /** A bearer-token call for setting the scene (not what the browser does). */
  call<T>(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/**
 * The real service for one e2e file: a private, migrated database (so queues and dashboard hold only this
 * file's claims), a worker on its own task queue of the run's Temporal server, and the API listening on a free
 * port, serving the built app. `demo` runs it as `claimdesk start` does in demo mode (the sign-in page lists the users).
 */
export async function startService(opts: { policy?: ReviewPolicy; demo?: boolean } = {}): Promise<E2eService> {
  const scratch = await openScratchDb('e2e');
  // Workflow ids come from row ids (claim-<id>, article-<id>) and the Temporal server is shared by the whole run:
  // a private database counting from 1 would start workflows that already exist. Ids start at a random far offset.
  const base = 1_000_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000_000;
  await sql`select setval(format('%I.%I', schemaname, sequencename)::regclass, ${base}) from pg_sequences where schemaname = 'public'`.execute(scratch.db);
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = uniqueTaskQueue('e2e');
  installRuntime(testLogger, 0);
  const { worker, connection: workerConnection } = await createWorker({
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue,
    deps: { db: scratch.db, log: testLogger, settings: TEST_ACTIVITY_SETTINGS },
    workflowBundle: { codePath: inject('workflowBundlePath') },
    shutdownGraceTime: 2000,
  });
  const running = worker.run();
  const tag = Math.random().toString(36).slice(2, 7);
  const make = async (key: string, role: Role): Promise<E2eUser> => {
    const name = `${key}-${tag}`;
    const password = `pw-${key}-${tag}-long`;
    const { token } = await createUser(scratch.db, { name, role });
    await setPasswordHash(scratch.db, { name }, await hashPassword(password));
    return { name, password, token, role };
  };
  const users = {
    fc: await make('ana', 'fact_checker'),
    fc2: await make('ben', 'fact_checker'),
    ed: await make('eva', 'editor'),
    ed2: await make('ed', 'editor'),
    admin: await make('ada', 'admin'),
  };

  const app: FastifyInstance = await buildApp({
    db: scratch.db,
    temporal: client,
    // Without a fixed policy the claims follow the versions stored in the scratch database, as in production.
    claimWorkflows: createClaimWorkflows(client, { taskQueue, ...(opts.policy ? { policy: opts.policy } : {}), db: scratch.db }),
    // The browser's every anonymous request comes from 127.0.0.1: the per-address limit is raised out of the way.
    config: loadConfig({ PUBLISHER_NAME: 'E2E Desk', TEMPORAL_UI_URL: 'http://127.0.0.1:8233', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000', WEBHOOK_SECRET_KEY: TEST_WEBHOOK_SECRET_KEY }),
    log: testLogger,
    databaseUrl: scratch.url,
    options: {
      heartbeatMs: 15_000,
      dashboardCacheMs: 0,
      demo: opts.demo ? { users: Object.values(users).map((u) => ({ name: u.name, role: u.role, password: u.password })) } : null,
      webDist: webDist(),
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    users,
    seed: (write) => write(scratch.db),
    call: async <T,>(method: string, url: string, token: string, body?: unknown) => {
      const res = await fetch(baseUrl + url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    close: async () => {
      await app.close();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await workerConnection.close();
      await connection.close();
      await scratch.drop();
    },
  };
}

const buildDir = () => path.join(os.tmpdir(), `claimdesk-web-build-${inject('runDatabaseName')}`);

/**
 * Where this run's build of src/web goes: not src/web/dist, which `npm start`, `npm run build:web` and the serving
 * tests rebuild (and empty) whenever they like.
 */
export const webDist = (): string => path.join(buildDir(), 'dist');

/**
 * Builds src/web once per test run (the e2e files run in parallel workers): the first to take the lock builds,
 * the others wait for its marker.
 */
export async function ensureWebBuilt(): Promise<void> {
  const dir = buildDir();
  const done = path.join(dir, 'done');
  let mine = false;
  try {
    mkdirSync(dir);
    mine = true;
  } catch {
    mine = false;
  }
  if (mine) {
    const { build } = await import('vite');
    await build({ configFile: path.join(ROOT, 'src/web/vite.config.ts'), logLevel: 'warn', build: { outDir: webDist(), emptyOutDir: true } });
    writeFileSync(done, new Date().toISOString());
    return;
  }
  await waitFor('the web app build', async () => existsSync(done), 120_000);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * Every page is watched: a console error, an uncaught exception, a failed request or an unexpected 4xx/5xx
 * fails the test. Two things are expected and allowed: the 401 the app gets when it asks whether it is signed in
 * (GET /api/session before sign-in), and reads the app itself aborted (a superseded GET, the live feed closing on
 * navigation).
 */
export class Watch {
  readonly problems: string[] = [];

  async page(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    this.attach(page);
    return page;
  }

  attach(page: Page): void {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const url = msg.location().url;
      if (/status of 401/.test(msg.text()) && url.endsWith('/api/session')) return;
      this.problems.push(`console error on ${page.url()}: ${msg.text()} (${url})`);
    });
    page.on('pageerror', (err) => this.problems.push(`uncaught on ${page.url()}: ${err.message}`));
    page.on('requestfailed', (req) => {
      const failure = req.failure()?.errorText ?? '';
      if (failure.includes('ERR_ABORTED') && req.method() === 'GET' && new URL(req.url()).pathname.startsWith('/api/')) return;
      this.problems.push(`request failed: ${req.method()} ${req.url()} ${failure}`);
    });
    page.on('response', (res) => {
      const status = res.status();
      if (status < 400) return;
      const u = new URL(res.url());
      if (status === 401 && u.pathname === '/api/session' && res.request().method() === 'GET') return;
      this.problems.push(`HTTP ${status}: ${res.request().method()} ${u.pathname}`);
    });
  }
}

export async function signIn(page: Page, baseUrl: string, user: E2eUser, path = '/signin'): Promise<void> {
  await page.goto(baseUrl + path);
  await page.getByLabel('Name').fill(user.name);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  // The landing page's code loads lazily: wait for its heading, so a test that navigates on at once does not
  // abort those module loads (seen as failed requests for /assets/*.js).
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

/** axe on the desktop layout (no serious or critical violation), and a full-page screenshot at both sizes. */
export async function capture(page: Page, name: string): Promise<string[]> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const found: string[] = [];
  const result = await new AxeBuilder({ page }).analyze();
  for (const v of result.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') found.push(`${name}: ${v.id} ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  }
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  return found;
}
