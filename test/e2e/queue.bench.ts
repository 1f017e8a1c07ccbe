// The review queue's time to first render with 10,000 open tasks (issue 10's "Done when"): from navigation to the
// first row on screen, in Chromium, against the real API and Postgres. Run: npx vitest run -c test/e2e/vitest.bench.config.ts
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, ensureWebBuilt, launchBrowser, signIn, startService, type E2eService } from './support.ts';

const TASKS = 10_000;

describe(`review queue with ${TASKS.toLocaleString('en')} open tasks`, () => {
  let svc: E2eService;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensureWebBuilt();
    [svc, browser] = await Promise.all([startService(), launchBrowser()]);
    await svc.seed(async (db) => {
      // Rows straight into the read model the queue reads; no workflows are needed to list them.
      await sql`insert into claims (text, status, fingerprint, priority)
        select 'Spending on item ' || g || ' rose by ' || (g % 90) || '% since 2019, the council said.', 'awaiting_review', md5('bench' || g), (array['low','normal','high','urgent'])[1 + g % 4]::text
        from generate_series(1, ${TASKS}) g`.execute(db);
      await sql`insert into review_tasks (claim_id, kind, status, priority, due_at, idempotency_key)
        select id, 'review', 'open', priority, now() + (id % 97 - 24) * interval '1 hour', 'bench-' || id from claims`.execute(db);
    });
    page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await signIn(page, svc.baseUrl, svc.users.fc);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('time from navigation to the first row of /queue (median and p85 of 10 loads after 2 warm-ups)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      const started = performance.now();
      await page.goto(`${svc.baseUrl}/queue?filter=open`);
      await page.locator('table.queue tbody tr').first().waitFor();
      if (i >= 2) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN;
    console.log(`[bench] queue first render with ${TASKS} open tasks: median ${at(0.5).toFixed(0)} ms, p85 ${at(0.85).toFixed(0)} ms, min ${at(0).toFixed(0)} ms`);
    expect(times).toHaveLength(10);
  });
});
