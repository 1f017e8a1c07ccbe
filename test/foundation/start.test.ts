import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDb } from '../../db/index.ts';
import { freePort, portAnswers, waitFor } from '../../src/services/net.ts';
import { dropDatabase, ensureDatabase, withDatabase } from '../../src/services/postgres.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/claimdesk.js');

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startClaimdesk(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [bin, 'start'], { env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function untilReady(s: Started): Promise<void> {
  await waitFor('claimdesk start', async () => {
    if (s.child.exitCode !== null) throw new Error(`claimdesk exited early:\n${s.output()}`);
    return s.output().includes('claimdesk ready');
  }, 240_000, 250);
}

function tokensFrom(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/^\s+(fact_checker|editor|admin)\s+(\w+)\s+(cdk_\S+)$/gm)].map((m) => [m[2] ?? '', m[3] ?? '']));
}

function passwordsFrom(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/^\s+password\s+(\w+)\s+(\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

describe('`claimdesk start` (what `npm start` runs)', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-start-'));
  const dbName = `${inject('runDatabaseName')}_start`;
  const adminUrl = inject('adminDatabaseUrl');
  const databaseUrl = withDatabase(adminUrl, dbName);
  let env: Record<string, string>;

  beforeAll(async () => {
    await ensureDatabase(adminUrl, dbName);
    env = {
      DATABASE_URL: databaseUrl,
      CLAIMDESK_STATE_DIR: stateDir,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      WORKER_METRICS_PORT: String(await freePort()),
      ...(inject('temporalCliPath') ? { TEMPORAL_CLI_PATH: inject('temporalCliPath') } : {}),
    };
  });
  afterAll(async () => {
    await dropDatabase(adminUrl, dbName);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('reaches ready with URLs, demo tokens and a healthy /healthz; Ctrl-C stops it and its dev server; a restart duplicates nothing', async () => {
    const first = startClaimdesk(env);
    await untilReady(first);
    const out = first.output();
    expect(out).toContain(`http://localhost:${env.PORT}/api`);
    expect(out).toContain(`UI: http://localhost:${env.TEMPORAL_UI_PORT}`);
    const tokens = tokensFrom(out);
    expect(Object.keys(tokens).sort()).toEqual(['admin', 'ana', 'ben', 'carla', 'dev']);

    // Demo users get web passwords, listed by the sign-in page's demo route and accepted by sign-in.
    const passwords = passwordsFrom(out);
    expect(Object.keys(passwords).sort()).toEqual(['admin', 'ana', 'ben', 'carla', 'dev']);
    const demoList = (await (await fetch(`http://127.0.0.1:${env.PORT}/api/session/demo`)).json()) as { demo: boolean; users: { name: string; password: string }[] };
    expect(demoList.demo).toBe(true);
    expect(Object.fromEntries(demoList.users.map((u) => [u.name, u.password]))).toEqual(passwords);
    const signIn = await fetch(`http://127.0.0.1:${env.PORT}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ana', password: passwords.ana }) });
    expect(signIn.status).toBe(200);

    const health = await fetch(`http://127.0.0.1:${env.PORT}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ db: 'ok', temporal: 'ok' });

    // The worker's Temporal SDK metrics are exposed for Prometheus beside the API's own /metrics.
    const sdkMetrics = await fetch(`http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`);
    expect(sdkMetrics.status).toBe(200);
    expect(await sdkMetrics.text()).toMatch(/^temporal_\w+/m);

    // The demo article's claims are extracted and their workflows started.
    const db = createDb(databaseUrl, { max: 1 });
    try {
      await waitFor('demo claims', async () => {
        const row = await db.selectFrom('claims').select(({ fn }) => fn.countAll<string>().as('n')).where('status', '!=', 'extracted').executeTakeFirstOrThrow();
        return Number(row.n) >= 3;
      }, 60_000, 500);

      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);
      expect(await portAnswers('127.0.0.1', Number(env.TEMPORAL_DEV_PORT))).toBe(false);
      expect(await portAnswers('127.0.0.1', Number(env.PORT))).toBe(false);

      const counts = async () => ({
        articles: Number((await db.selectFrom('articles').select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
        claims: Number((await db.selectFrom('claims').select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
        users: Number((await db.selectFrom('users').select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
        sources: Number((await db.selectFrom('sources').select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
      });
      const before = await counts();
      expect(before.articles).toBe(1);
      expect(before.sources).toBeGreaterThan(10);

      const second = startClaimdesk(env);
      await untilReady(second);
      expect(second.output()).toContain('already there');
      expect(tokensFrom(second.output())).toEqual(tokens);
      expect(passwordsFrom(second.output())).toEqual(passwords);
      expect(await counts()).toEqual(before);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      await db.destroy();
    }
  }, 360_000);
});
