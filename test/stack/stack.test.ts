import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createUser } from '../../src/accounts/users.ts';
import { createDb, type Db } from '../../db/index.ts';
import { startStack, type StackHandle } from '../../src/cli/stack-command.ts';
import { freePort, portAnswers, waitFor } from '../../src/services/net.ts';
import { STACK } from '../../src/services/stack-settings.ts';
import { withSearchAttributeCache } from '../../src/services/temporal-server.ts';

/** Ten consecutive free ports for the Temporal server (frontend, history, matching, worker, HTTP, membership, metrics). */
async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Temporal stores membership ports as a smallint: the whole block stays below 32768.
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const busy = await Promise.all(Array.from({ length: 10 }, (_, i) => portAnswers('127.0.0.1', base + i, 200)));
    if (!busy.some(Boolean)) return base;
  }
  throw new Error('no block of ten free ports');
}

// The production shape for real: the Temporal server built from the Go module proxy, on PostgreSQL, with two
// workers and two API processes started by `claimdesk stack`'s own code. An article goes in through one API, its
// task is claimed and decided through the other, a worker is SIGKILLed while the approval is in flight, and the
// verdict is recorded once.
describe('claimdesk stack: Temporal server on PostgreSQL, two workers, two APIs', () => {
  let stack: StackHandle;
  let db: Db;
  let stateDir: string;
  const tokens = { fc: '', ed: '' };

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-stack-'));
    const run = inject('runDatabaseName');
    const started = Date.now();
    stack = await startStack(
      {
        adminUrl: inject('adminDatabaseUrl'),
        // Named after the run, so the run's teardown (and a later run's sweep) drops them.
        claimdeskDatabase: `${run}_stack`,
        temporalDatabases: { default: `${run}_stack_temporal`, visibility: `${run}_stack_temporal_visibility` },
        temporalPort: await freePortBlock(),
        apiPorts: [await freePort(), await freePort()],
        workerMetricsPorts: [await freePort(), await freePort()],
        stateDir,
        env: { LOG_LEVEL: 'warn', TASK_QUEUE: `stack-${randomUUID().slice(0, 8)}`, WEBHOOK_ALLOW_PRIVATE: 'true' },
      },
      { info: (m) => console.log(`[stack] ${m}`), warn: (m) => console.warn(`[stack] ${m}`) },
    );
    console.log(`[stack] up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    db = createDb(stack.databaseUrl, { max: 2, applicationName: 'claimdesk-stack-test' });
    tokens.fc = (await createUser(db, { name: `fc-${randomUUID().slice(0, 6)}`, role: 'fact_checker' })).token;
    tokens.ed = (await createUser(db, { name: `ed-${randomUUID().slice(0, 6)}`, role: 'editor' })).token;
  // On a fresh machine this includes the one-time `go install` of the Temporal server and its schema tool: under a
  // minute after the CLI's build (they share its build cache), 5–9 minutes if the fallback plain install runs while
  // other test files share the two cores: well past the usual hook timeout either way.
  }, 1_800_000);

  afterAll(async () => {
    await db?.destroy();
    await stack?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  async function call(api: number, method: string, url: string, token: string, body?: unknown, key?: string): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${stack.apiUrls[api]}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...(key ? { 'idempotency-key': key } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
  }

  /** A step that must succeed once: retried with the same Idempotency-Key while a worker is gone. */
  async function once(api: number, url: string, token: string, body?: unknown): Promise<unknown> {
    const key = randomUUID();
    let last: { status: number; json: unknown } = { status: 0, json: null };
    await waitFor(
      url,
      async () => {
        last = await call(api, 'POST', url, token, body, key).catch((err: unknown) => ({ status: 0, json: String(err) }));
        if (last.status >= 400 && last.status < 500 && last.status !== 409 && last.status !== 429) throw new Error(`${url}: ${last.status} ${JSON.stringify(last.json)}`);
        return last.status === 200;
      },
      120_000,
      500,
    );
    return last.json;
  }

  async function openTask(api: number, kind: 'review' | 'approval', token: string): Promise<{ task: { id: string }; claim: { id: string } }> {
    let item: { task: { id: string }; claim: { id: string } } | undefined;
    await waitFor(
      `${kind} task`,
      async () => {
        const res = await call(api, 'GET', `/api/queue?kind=${kind}`, token);
        item = (res.json as { items?: (typeof item)[] }).items?.[0];
        return item !== undefined;
      },
      120_000,
      300,
    );
    return item as NonNullable<typeof item>;
  }

  it('runs the settings of docker-compose.yml: two workers, two APIs, the real server', () => {
    expect(stack.processes.filter((p) => p.role === 'worker')).toHaveLength(STACK.worker.replicas);
    expect(stack.processes.filter((p) => p.role === 'api')).toHaveLength(STACK.api.ports.length);
    expect(stack.temporal.pid).toBeGreaterThan(0);
  });

  it('gives the server its own copy of the dynamic config, which the stack may change (the search-attribute cache)', () => {
    const configDir = path.join(stateDir, 'temporal-config');
    const copy = path.join(configDir, 'dynamicconfig.yaml');
    expect(readFileSync(path.join(configDir, 'claimdesk.yaml'), 'utf8')).toContain(`filepath: ${JSON.stringify(copy)}`);
    // Until 65 s after the search attributes were registered it is the deployed file itself.
    const deployed = readFileSync(new URL(`../../${STACK.temporal.dynamicConfig}`, import.meta.url), 'utf8');
    expect([deployed, withSearchAttributeCache(deployed)]).toContain(readFileSync(copy, 'utf8'));
  });

  it('takes an article through one API and a verdict through the other, once, with a worker SIGKILLed mid-flight', { timeout: 600_000 }, async () => {
    const tag = randomUUID().slice(0, 8);
    const submitted = await call(0, 'POST', '/api/articles', tokens.ed, {
      title: `Stack smoke ${tag}`,
      url: `https://news.example.com/stack-${tag}`,
      publisher: 'Example Gazette',
      body: `The council leader said spending on libraries had risen by 40% since 2019, reaching £12 million this year (ref ${tag}). Unemployment in the borough fell to 3.1% in March, according to the Office for National Statistics.`,
    });
    expect(submitted.status, JSON.stringify(submitted.json)).toBeLessThan(300);

    const review = await openTask(1, 'review', tokens.fc);
    await once(1, `/api/tasks/${review.task.id}/claim`, tokens.fc);
    await once(0, `/api/tasks/${review.task.id}/verdict`, tokens.fc, { rating: 'mostly_true', summary: 'Matches the council accounts.', citations: [{ url: 'https://council.example.org/accounts', stance: 'supports' }] });
    const approval = await openTask(1, 'approval', tokens.ed);
    expect(approval.claim.id).toBe(review.claim.id);
    await once(1, `/api/tasks/${approval.task.id}/claim`, tokens.ed);

    // The approval goes out and a worker dies at the same moment: whichever held the claim, the other takes over.
    const victim = stack.processes.find((p) => p.role === 'worker') as NonNullable<StackHandle['processes'][number]>;
    const approving = once(1, `/api/tasks/${approval.task.id}/approve`, tokens.ed);
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    await approving;

    await waitFor(
      'verdict recorded',
      async () => (await db.selectFrom('claims').select('status').where('id', '=', review.claim.id).executeTakeFirst())?.status === 'verdict_recorded',
      120_000,
      300,
    );
    const verdicts = await db.selectFrom('verdicts').select(['id', 'version']).where('claim_id', '=', review.claim.id).execute();
    expect(verdicts).toEqual([{ id: expect.any(String) as string, version: 1 }]);
    const recorded = await db.selectFrom('claim_events').select('id').where('claim_id', '=', review.claim.id).where('type', '=', 'verdict_recorded').execute();
    expect(recorded).toHaveLength(1);
  });
});
