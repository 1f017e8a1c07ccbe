import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_CHANNEL, EventHub, type ChangeEvent } from '../../src/api/events.ts';
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
    try {
      await hubs[0]?.subscribe((e) => seen[0]?.push(e));
      await hubs[1]?.subscribe((e) => seen[1]?.push(e));
      const unsubscribe = await hubs[1]?.subscribe((e) => seen[2]?.push(e));
      const marker = `t-${Date.now()}`;
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
    const hub = new EventHub(env.databaseUrl, testLogger);
    const seen: ChangeEvent[] = [];
    try {
      await hub.subscribe((e) => seen.push(e));
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'claimdesk-events' AND datname = current_database() AND query ILIKE 'LISTEN%'`.execute(env.db);
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
