import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_CHANNEL, type ClaimNotification as ChangeEvent } from '../../db/repositories/events.ts';
import { EventHub } from '../../src/api/events.ts';
import { waitFor } from '../../src/services/net.ts';
import { openTestEnv, testLogger, type TestEnv } from '../support/env.ts';

describe('EventHub (LISTEN/NOTIFY fan-out)', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await openTestEnv();
  });
  afterAll(async () => env.close());

  it('every API process sees a change committed by any writer, once, and only after commit', async () => {
    // Two hubs stand for two API processes, each with its own LISTEN connection.
    const hubs = [new EventHub(env.databaseUrl, testLogger), new EventHub(env.databaseUrl, testLogger)];
    const seen: ChangeEvent[][] = [[], [], []];
    // The channel is shared with every other test file's workflows: count only this test's changes.
    const marker = `t-${Date.now()}-${Math.random()}`;
    const mine = (i: number) => (e: ChangeEvent) => {
      if (e.claimId === marker) seen[i]?.push(e);
    };
    try {
      await hubs[0]?.subscribe(mine(0));
      await hubs[1]?.subscribe(mine(1));
      const unsubscribe = await hubs[1]?.subscribe(mine(2));
      await env.db.transaction().execute(async (trx) => {
        await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify({ claimId: marker, type: 'task_claimed', status: 'in_review' })})`.execute(trx);
        // Not yet committed: nobody may have it.
        await new Promise((r) => setTimeout(r, 100));
        expect(seen.flat()).toEqual([]);
      });
      await waitFor('both hubs notified', async () => seen[0]?.length === 1 && seen[1]?.length === 1 && seen[2]?.length === 1, 5000);
      expect(seen[0]?.[0]).toEqual({ claimId: marker, type: 'task_claimed', status: 'in_review' });

      unsubscribe?.();
      expect(hubs[1]?.size).toBe(1);
      await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify({ claimId: marker, type: 'second' })})`.execute(env.db);
      await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${'not json'})`.execute(env.db);
      await waitFor('second change', async () => seen[1]?.length === 2, 5000);
      expect(seen[2]).toHaveLength(1);
    } finally {
      await Promise.all(hubs.map((h) => h.close()));
    }
  });

  it('reconnects after its LISTEN connection is killed', async () => {
    // Its own connection name, so cutting it leaves other test files' hubs alone.
    const name = `claimdesk-events-test-${process.pid}`;
    const hub = new EventHub(env.databaseUrl, testLogger, name);
    const seen: ChangeEvent[] = [];
    try {
      await hub.subscribe((e) => seen.push(e));
      const killed = await sql<{ ok: boolean }>`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = ${name} AND datname = current_database()`.execute(env.db);
      expect(killed.rows).toEqual([{ ok: true }]);
      const marker = `r-${Date.now()}`;
      await waitFor('a change after reconnecting', async () => {
        await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify({ claimId: marker, type: 'ping' })})`.execute(env.db);
        return seen.some((e) => e.claimId === marker);
      }, 15_000, 300);
    } finally {
      await hub.close();
    }
  });
});
