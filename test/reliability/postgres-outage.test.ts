import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createUser } from '../../src/accounts/users.ts';
import { createClaimWorkflows, type ClaimWorkflows } from '../../src/claims-client/claim-workflows.ts';
import { freePort } from '../../src/services/net.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { openTestEnv, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { eventually } from '../workflows/support.ts';
import { API_SCRIPT, Bots, WORKER_SCRIPT, countOneRoundRows, reliabilityScale, sleep, spawnService, writeFigures, type ServiceProcess } from './support.ts';

const scale = reliabilityScale();
const CLAIMS = scale.name === 'full' ? 60 : 20;

interface Answer {
  route: string;
  status: number;
  type: string;
  retryAfter: string | null;
  ms: number;
  body: { status?: number; detail?: string };
}

describe(`reliability: Postgres cut for ${scale.outageMs / 1000} s under the API and a worker`, () => {
  let env: TestEnv;
  let flows: ClaimWorkflows;
  let proxy: TcpProxy;
  let base: string;
  const services: ServiceProcess[] = [];
  const taskQueue = uniqueTaskQueue('faults-pg');

  beforeAll(async () => {
    env = await openTestEnv();
    flows = createClaimWorkflows(env.client, { taskQueue });
    const direct = new URL(env.databaseUrl);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const proxied = new URL(env.databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    services.push(await spawnService(WORKER_SCRIPT, [env.temporalAddress, proxied.toString(), taskQueue, inject('workflowBundlePath')], 'worker ready'));
    services.push(await spawnService(API_SCRIPT, [env.temporalAddress, proxied.toString(), taskQueue, String(port)], 'api ready'));
  });
  afterAll(async () => {
    for (const s of services) await s.kill();
    await proxy?.close();
    await env?.close();
  });

  async function call(route: string, token: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<Answer> {
    const started = Date.now();
    const res = await fetch(`${base}${route}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.key ? { 'idempotency-key': init.key } : {}),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      // A hang is a failure: nothing the API answers may take longer than this, database or not.
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let body: Answer['body'] = {};
    try {
      body = JSON.parse(text) as Answer['body'];
    } catch {
      body = { detail: text.slice(0, 200) };
    }
    return { route, status: res.status, type: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), ms: Date.now() - started, body };
  }

  it('answers 503 problem+json while it lasts, then loses and doubles nothing', { timeout: 300_000 }, async () => {
    const { token: editor } = await createUser(env.db, { name: `ed-${randomUUID().slice(0, 8)}`, role: 'editor' });
    const { token: checker } = await createUser(env.db, { name: `fc-${randomUUID().slice(0, 8)}`, role: 'fact_checker' });
    const claimIds: string[] = [];
    for (let i = 0; i < CLAIMS; i++) {
      const res = await call('/api/claims', editor, { method: 'POST', body: { text: `Crime fell from 400 cases to 300, a drop of 25%, in ward ${randomUUID().slice(0, 8)}.` }, key: randomUUID() });
      expect(res.status).toBe(202);
      claimIds.push((res.body as { claim?: { id: string } }).claim?.id ?? '');
    }
    const bots = new Bots(env.db, flows, claimIds, 6);
    const botsDone = bots.run();
    // Cut while activities write: reviews are being claimed (an Update's activity) and research is still running.
    await eventually('tasks being claimed', async () => {
      const n = await env.db.selectFrom('claim_events').select((eb) => eb.fn.countAll<string>().as('n')).where('claim_id', 'in', claimIds).where('type', '=', 'task_claimed').executeTakeFirstOrThrow();
      return Number(n.n) > 0;
    }, 120_000);
    const someClaim = claimIds[0] ?? '';
    proxy.cut();
    const cutAt = Date.now();
    const answers: Answer[] = [];
    const duringKey = randomUUID();
    const duringText = `Unemployment rose from 3% to 4%, in district ${randomUUID().slice(0, 8)}.`;
    while (Date.now() - cutAt < scale.outageMs - 2000) {
      answers.push(
        ...(await Promise.all([
          call(`/api/claims/${someClaim}`, editor),
          call('/api/queue?kind=review', checker),
          call('/api/claims', editor, { method: 'POST', body: { text: duringText }, key: duringKey }),
          call('/healthz', editor),
        ])),
      );
      await sleep(500);
    }
    await sleep(Math.max(0, scale.outageMs - (Date.now() - cutAt)));
    proxy.restore();

    // Every answer during the cut was a prompt, well-formed 503 (the health check says which part is down).
    expect(answers.length).toBeGreaterThan(4);
    for (const a of answers) {
      expect(a, `${a.route} answered ${a.status} ${JSON.stringify(a.body)}`).toMatchObject({ status: 503 });
      if (a.route === '/healthz') continue;
      expect(a.type).toContain('application/problem+json');
      expect(a.retryAfter).toBe('5');
      expect(a.body).toMatchObject({ status: 503, detail: expect.stringContaining('database') as unknown });
    }
    // The submission refused during the cut is retried with its key: 5xx answers are not replayed, so it runs now, once.
    const retried = await eventually('submission retried after the cut', async () => {
      const res = await call('/api/claims', editor, { method: 'POST', body: { text: duringText }, key: duringKey });
      return res.status === 202 ? res : null;
    }, 60_000);
    const again = await call('/api/claims', editor, { method: 'POST', body: { text: duringText }, key: duringKey });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(retried.body);
    const lateId = (retried.body as { claim?: { id: string } }).claim?.id ?? '';
    expect(await env.db.selectFrom('claims').select('id').where('text', '=', duringText).execute()).toEqual([{ id: lateId }]);
    // The bots work on this very list: a second run takes the late claim through too (and what the first left).
    claimIds.push(lateId);
    await botsDone;
    await bots.run();

    const results = await Promise.all(claimIds.map((id) => env.client.workflow.getHandle(claimWorkflowId(id)).result() as Promise<{ status: string }>));
    expect(results.every((r) => r.status === 'verdict_recorded')).toBe(true);
    const rows = await countOneRoundRows(env.db, claimIds);
    expect(rows.problems).toEqual([]);

    // The cut hit activities mid-write: some ran again after it, and Temporal retried them to success (a local
    // activity's attempt is in its marker's data).
    let retriedActivities = 0;
    const localAttempt = (e: { markerRecordedEventAttributes?: { markerName?: string | null; details?: Record<string, { payloads?: Array<{ data?: Uint8Array | null }> | null }> | null } | null }): number => {
      const m = e.markerRecordedEventAttributes;
      const data = m?.markerName === 'core_local_activity' ? m.details?.['data']?.payloads?.[0]?.data : undefined;
      return data ? ((JSON.parse(Buffer.from(data).toString('utf8')) as { attempt?: number }).attempt ?? 1) : 1;
    };
    for (const id of claimIds) {
      const history = await env.client.workflow.getHandle(claimWorkflowId(id)).fetchHistory();
      for (const e of history.events ?? []) if ((e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1 || localAttempt(e) > 1) retriedActivities += 1;
    }
    expect(retriedActivities).toBeGreaterThan(0);

    writeFigures('postgres-outage', {
      claimsInFlight: claimIds.length,
      killsSurvived: 0,
      outagesSurvived: 1,
      retriesSent: bots.retries + 1,
      rowsLost: rows.lost,
      rowsDoubled: rows.doubled,
      rowsCounted: rows.rows,
      outageMs: scale.outageMs,
      answersDuringOutage: answers.length,
      slowestAnswerMs: Math.max(...answers.map((a) => a.ms)),
      activitiesRetried: retriedActivities,
      connectionsRefusedByProxy: proxy.refused,
    });
  });

  it('answers 503 within the pool connection timeout when the database host goes silent (a partition), and recovers', { timeout: 60_000 }, async () => {
    const { token } = await createUser(env.db, { name: `ed-${randomUUID().slice(0, 8)}`, role: 'editor' });
    expect((await call('/api/claims?limit=1', token)).status).toBe(200);
    proxy.cut('blackhole');
    try {
      // call() aborts after 15 s (a hang fails the test); the pool gives up on a connection after 5 s (db/index.ts).
      const answers = await Promise.all([call('/api/claims?limit=1', token), call('/api/queue?kind=review', token)]);
      for (const a of answers) {
        expect(a).toMatchObject({ status: 503, retryAfter: '5', body: { status: 503, detail: expect.stringContaining('database') as unknown } });
        expect(a.type).toContain('application/problem+json');
      }
    } finally {
      proxy.restore();
    }
    await eventually('API answering again', async () => (await call('/api/claims?limit=1', token)).status === 200, 30_000);
  });
});
