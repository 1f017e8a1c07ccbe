import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/accounts/users.ts';
import { freePort } from '../../src/services/net.ts';
import { claimWorkflowId } from '../../workflows/messages.ts';
import { openTestEnv, startTestWorker, uniqueTaskQueue, type TestEnv } from '../support/env.ts';
import { API_SCRIPT, countOneRoundRows, reliabilityScale, sampleVerdict, seededRandom, sleep, spawnService, writeFigures, type ServiceProcess } from './support.ts';

const scale = reliabilityScale();
const CLIENTS = scale.name === 'full' ? 60 : 12;
const API_KILLS = scale.name === 'full' ? 4 : 2;
/** How soon a retry takes over a key whose first attempt died with its API process (production: two minutes). */
const TAKEOVER_MS = 3000;

interface Sent {
  key: string;
  method: string;
  route: string;
  body: unknown;
  token: string;
  status: number;
  answer: string;
}

describe(`reliability: the API process SIGKILLed ${API_KILLS} times under submissions and task actions`, () => {
  let env: TestEnv;
  let stopWorker: () => Promise<void>;
  let api: ServiceProcess;
  let port: number;
  const taskQueue = uniqueTaskQueue('faults-api');
  let retries = 0;
  let stopping = false;

  const startApi = async () => {
    api = await spawnService(API_SCRIPT, [env.temporalAddress, env.databaseUrl, taskQueue, String(port), String(TAKEOVER_MS)], 'api ready');
  };

  beforeAll(async () => {
    env = await openTestEnv();
    ({ stop: stopWorker } = await startTestWorker(env, taskQueue));
    port = await freePort();
    await startApi();
  });
  afterAll(async () => {
    stopping = true;
    await api?.kill();
    await stopWorker?.();
    await env?.close();
  });

  /**
   * A careful client: one Idempotency-Key per request, sent again (same key, same body) after a dropped connection,
   * a 5xx or a 409 "in progress", until the API answers it for good.
   */
  async function send(token: string, method: string, route: string, body: unknown): Promise<Sent> {
    const key = randomUUID();
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) retries += 1;
      if (stopping) throw new Error('test ended');
      try {
        const res = await fetch(`http://127.0.0.1:${port}${route}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        const answer = await res.text();
        const inProgress = res.status === 409 && answer.includes('in progress');
        if (res.status < 500 && !inProgress) return { key, method, route, body, token, status: res.status, answer };
        await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
      } catch {
        // The API process is gone (connection refused or reset): the next one will be on the same port.
        await sleep(300);
      }
    }
  }

  async function taskOf(claimId: string, kind: 'review' | 'approval'): Promise<string> {
    for (;;) {
      const t = await env.db.selectFrom('review_tasks').select('id').where('claim_id', '=', claimId).where('kind', '=', kind).where('status', '=', 'open').executeTakeFirst();
      if (t) return t.id;
      await sleep(200);
    }
  }

  it('gives every retrying client its original answer and writes nothing twice', { timeout: 300_000 }, async () => {
    const checker = await createUser(env.db, { name: `fc-${randomUUID().slice(0, 8)}`, role: 'fact_checker' });
    const editor = await createUser(env.db, { name: `ed-${randomUUID().slice(0, 8)}`, role: 'editor' });
    const texts = Array.from({ length: CLIENTS }, () => `Rents rose from 800 to 1,000 a month, up 25%, in block ${randomUUID().slice(0, 8)}.`);
    const sent: Sent[] = [];
    const claimIds: string[] = [];

    const client = async (text: string) => {
      const submitted = await send(editor.token, 'POST', '/api/claims', { text });
      sent.push(submitted);
      expect(submitted.status, submitted.answer).toBe(202);
      const claimId = (JSON.parse(submitted.answer) as { claim: { id: string } }).claim.id;
      claimIds.push(claimId);
      const review = await taskOf(claimId, 'review');
      for (const [route, body] of [
        [`/api/tasks/${review}/claim`, {}],
        [`/api/tasks/${review}/verdict`, sampleVerdict],
      ] as const) {
        const s = await send(checker.token, 'POST', route, body);
        sent.push(s);
        expect(s.status, `${route}: ${s.answer}`).toBe(200);
      }
      const approval = await taskOf(claimId, 'approval');
      for (const route of [`/api/tasks/${approval}/claim`, `/api/tasks/${approval}/approve`]) {
        const s = await send(editor.token, 'POST', route, {});
        sent.push(s);
        expect(s.status, `${route}: ${s.answer}`).toBe(200);
      }
    };

    const seed = Date.now() % 100_000;
    const random = seededRandom(seed);
    const clients = Promise.all(texts.map((t) => client(t)));
    let kills = 0;
    for (let k = 0; k < API_KILLS; k++) {
      await sleep(Math.round(500 + random() * 2500));
      await api.kill();
      kills += 1;
      await startApi();
    }
    await clients;

    // No duplicates: one claim per submitted text, and one round's rows per claim.
    const byText = await env.db.selectFrom('claims').select(['id', 'text']).where('text', 'in', texts).execute();
    expect(byText).toHaveLength(CLIENTS);
    for (const id of claimIds) expect(await env.client.workflow.getHandle(claimWorkflowId(id)).result()).toMatchObject({ status: 'verdict_recorded', version: 1 });
    const rows = await countOneRoundRows(env.db, claimIds);
    expect(rows.problems).toEqual([]);

    // Every request sent once more with its key gets its original answer back, replayed, and changes nothing.
    for (const s of sent) {
      const res = await fetch(`http://127.0.0.1:${port}${s.route}`, {
        method: s.method,
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json', 'idempotency-key': s.key },
        body: JSON.stringify(s.body),
      });
      expect(res.headers.get('idempotent-replayed'), `${s.route}`).toBe('true');
      expect({ status: res.status, answer: await res.text() }).toEqual({ status: s.status, answer: s.answer });
    }
    expect(await countOneRoundRows(env.db, claimIds)).toEqual(rows);

    writeFigures('api-restart', {
      claimsInFlight: CLIENTS,
      killsSurvived: kills,
      outagesSurvived: 0,
      retriesSent: retries,
      rowsLost: rows.lost,
      rowsDoubled: rows.doubled,
      rowsCounted: rows.rows,
      requestsAnswered: sent.length,
      seed,
    });
  });
});
