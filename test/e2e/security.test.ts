import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/services/net.ts';
import { DESKTOP, Watch, capture, ensureWebBuilt, launchBrowser, signIn, startService, type E2eService } from './support.ts';

const HOSTILE = {
  title: 'Council <b>budget</b> row',
  body:
    '<script>window.__xss = 1</script> The mayor, John Doe, said unemployment fell by 12% in 2023, to 4,500 people. ' +
    '<img src=x onerror="window.__xss = 2"> Officials also claimed that crime fell by 20% after 300 cameras were installed in the town centre.',
};

describe('the web app treats text as text and sessions as sessions', () => {
  let svc: E2eService;
  let browser: Browser;
  let watch: Watch;
  const contexts: BrowserContext[] = [];
  const a11y: string[] = [];

  async function context(): Promise<BrowserContext> {
    const c = await browser.newContext({ viewport: DESKTOP });
    contexts.push(c);
    return c;
  }
  async function sessionCookie(c: BrowserContext): Promise<string> {
    const cookie = (await c.cookies()).find((k) => k.name === 'claimdesk_session');
    if (!cookie) throw new Error('no session cookie after sign-in');
    return `${cookie.name}=${cookie.value}`;
  }

  beforeAll(async () => {
    await ensureWebBuilt();
    [svc, browser] = await Promise.all([startService({ demo: true }), launchBrowser()]);
  });
  afterEach(() => {
    expect(watch.problems).toEqual([]);
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await svc?.close();
  });

  it('an article containing <script> and <img onerror> is previewed, submitted and shown as text, and no script runs', async () => {
    watch = new Watch();
    const page = await watch.page(await context());
    await signIn(page, svc.baseUrl, svc.users.fc);
    await page.goto(`${svc.baseUrl}/ingest`);
    await page.getByLabel('Title').fill(HOSTILE.title);
    await page.getByLabel('Article text').fill(HOSTILE.body);
    await page.getByRole('button', { name: 'Preview claims' }).click();
    const preview = page.locator('.ingest .article-body');
    await preview.waitFor();
    await expect.poll(() => preview.textContent()).toContain('<script>window.__xss = 1</script>');
    expect(await preview.locator('mark').count()).toBeGreaterThan(0);
    a11y.push(...(await capture(page, 'ingest')));
    await page.getByRole('button', { name: 'Submit article' }).click();
    const submitted = await page.getByText(/Submitted: article \d+/).textContent();
    const articleId = /article (\d+)/.exec(submitted ?? '')?.[1] ?? '';

    let claimId = '';
    await waitFor('claims extracted', async () => {
      const res = await svc.call<{ claims: { id: string }[] }>('GET', `/api/articles/${articleId}`, svc.users.fc.token);
      claimId = res.body.claims[0]?.id ?? '';
      return claimId !== '';
    }, 30_000);
    const res = await page.goto(`${svc.baseUrl}/workspace/${claimId}`);
    // The page itself forbids inline script: escaping is the first defence, the CSP the second.
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    const body = page.locator('.article-body');
    // The body fills in as the claim's spans arrive: wait for the whole text before reading it.
    await page.locator('.article-body', { hasText: '<img src=x onerror="window.__xss = 2">' }).waitFor();
    expect(await body.textContent()).toContain('<script>window.__xss = 1</script>');
    expect(await body.textContent()).toContain('<img src=x onerror="window.__xss = 2">');
    expect(await page.getByRole('heading', { name: 'Council <b>budget</b> row' }).count()).toBe(1);
    expect(await body.locator('script, img, b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(a11y).toEqual([]);
  });

  it('an admin sees users and roles, issues a token shown once, and reads and changes the review policy', async () => {
    watch = new Watch();
    const page = await watch.page(await context());
    await signIn(page, svc.baseUrl, svc.users.admin);
    await page.waitForURL(/\/admin$/);
    const row = page.locator('tr', { hasText: svc.users.ed.name });
    await row.waitFor();
    expect(await row.getByRole('combobox', { name: `Role of ${svc.users.ed.name}` }).inputValue()).toBe('editor');
    await row.getByRole('button', { name: `New token for ${svc.users.ed.name}` }).click();
    await page.getByText(`New token for ${svc.users.ed.name} (shown once)`).waitFor();
    await row.getByRole('button', { name: `Tokens of ${svc.users.ed.name}` }).click();
    await row.locator('.token-list li').first().waitFor();
    const policy = page.getByRole('region', { name: 'Review policy' });
    await policy.getByText('Built-in default (version 0)').waitFor();
    await policy.getByText('Approvers').waitFor();
    a11y.push(...(await capture(page, 'admin')));

    // Changing the policy: a bad field is named beside it, a good one saves as version 1 with the reason.
    await policy.getByRole('button', { name: 'Change policy' }).click();
    await policy.getByLabel('Lease without activity (minutes)').fill('soon');
    await policy.getByRole('button', { name: 'Save as a new version' }).click();
    await policy.locator('#lease-error').waitFor();
    // That 400 was the point (the response and the browser's console line for it): taken off the watch's list,
    // which must hold nothing else.
    const expected = (p: string) => p === 'HTTP 400: PUT /api/policy' || (p.includes('status of 400') && p.includes('/api/policy'));
    expect(watch.problems.filter((p) => !expected(p))).toEqual([]);
    expect(watch.problems).toContain('HTTP 400: PUT /api/policy');
    watch.problems.length = 0;
    a11y.push(...(await capture(page, 'admin-policy-form')));
    await policy.getByLabel('Lease without activity (minutes)').fill('90');
    await policy.locator('#claim-urgent').fill('0.5');
    await policy.getByLabel('Why (kept with the version)').fill('election night');
    await policy.getByRole('button', { name: 'Save as a new version' }).click();
    await policy.getByRole('status').getByText('Saved as version 1').waitFor();
    await policy.getByText(/Version 1, saved by .* election night/).waitFor();
    const stored = await svc.call<{ version: number; note: string; createdBy: string; policy: { leaseMs: number; claimSlaMs: { urgent: number } } }>('GET', '/api/policy', svc.users.admin.token);
    expect(stored.body).toMatchObject({ version: 1, note: 'election night', createdBy: svc.users.admin.name });
    expect(stored.body.policy.leaseMs).toBe(90 * 60_000);
    expect(stored.body.policy.claimSlaMs.urgent).toBe(30 * 60_000);
    expect(a11y).toEqual([]);
  });

  it('in demo mode the sign-in page lists the demo users with their passwords, and picking one signs in', async () => {
    watch = new Watch();
    const page = await watch.page(await context());
    await page.goto(`${svc.baseUrl}/signin`);
    const demo = page.getByRole('region', { name: 'Demo users' });
    await demo.getByText(svc.users.ed.password).waitFor();
    a11y.push(...(await capture(page, 'sign-in-demo')));
    await demo.getByRole('button', { name: `Use ${svc.users.ed.name}` }).click();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/approvals/);
    await page.getByRole('heading', { name: 'Approval queue' }).waitFor();

    // ? lists the keys; with single-key shortcuts switched off it does nothing.
    await page.locator('body').focus();
    await page.keyboard.press('?');
    const keys = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await keys.waitFor();
    await page.keyboard.press('Escape');
    await keys.waitFor({ state: 'hidden' });
    await page.getByRole('checkbox', { name: 'Shortcuts' }).uncheck();
    await page.locator('body').focus();
    await page.keyboard.press('?');
    expect(await keys.isVisible()).toBe(false);
    await page.getByRole('checkbox', { name: 'Shortcuts' }).check();
    expect(a11y).toEqual([]);
  });

  it('sign-out ends the session on the server: the old cookie gets 401', async () => {
    watch = new Watch();
    const c = await context();
    const page = await watch.page(c);
    await signIn(page, svc.baseUrl, svc.users.fc2);
    const cookie = await sessionCookie(c);
    expect((await fetch(`${svc.baseUrl}/api/session`, { headers: { cookie } })).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin/);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect((await fetch(`${svc.baseUrl}/api/session`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${svc.baseUrl}/api/queue?kind=review`, { headers: { cookie } })).status).toBe(401);
  });

  it('a state-changing cookie request from another Origin is refused; the same request from the app’s origin is not', async () => {
    watch = new Watch();
    const c = await context();
    const page = await watch.page(c);
    await signIn(page, svc.baseUrl, svc.users.fc);
    const cookie = await sessionCookie(c);
    const article = { title: 'Origin check', body: 'The minister said exports rose by 8% in 2024, to £30 billion, the highest on record.' };
    const post = (origin: string) =>
      fetch(`${svc.baseUrl}/api/articles`, { method: 'POST', headers: { cookie, origin, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() }, body: JSON.stringify(article) });
    const refused = await post('https://evil.example');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/cross-origin/);
    expect((await post(svc.baseUrl)).status).toBe(202);
  });
});
