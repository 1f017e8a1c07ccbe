import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/services/net.ts';
import { DESKTOP, Watch, capture, ensureWebBuilt, launchBrowser, signIn, startService, type E2eService } from './support.ts';

interface QueuePage {
  items: { task: { id: string; claimId: string; status: string; assignee: string | null }; claim: { id: string; text: string } }[];
}

const ARTICLE = {
  title: 'Library spending under the new council',
  publisher: 'Example Gazette',
  url: 'https://news.example.com/library-spending',
  body:
    'The council leader, Jane Roe, said on Monday that spending on libraries had risen by 40% since 2019, reaching £12 million this year. ' +
    'Unemployment in the borough fell to 3.1% in March, according to the Office for National Statistics. ' +
    'The council also claimed that crime fell by 15% after 200 new street lights were installed. ' +
    'Residents will be able to comment on the plans until the end of the month.',
};

describe('the review flow in a real browser', () => {
  let svc: E2eService;
  let browser: Browser;
  let watch: Watch;
  const contexts: BrowserContext[] = [];
  const a11y: string[] = [];
  let taskId = '';
  let claimId = '';
  let fc: Page;

  async function context(): Promise<BrowserContext> {
    const c = await browser.newContext({ viewport: DESKTOP });
    contexts.push(c);
    return c;
  }

  beforeAll(async () => {
    await ensureWebBuilt();
    [svc, browser] = await Promise.all([startService(), launchBrowser()]);
    const posted = await svc.call<{ article: { id: string } }>('POST', '/api/articles', svc.users.fc.token, ARTICLE);
    expect(posted.status).toBe(202);
    // Extraction and research run in the worker; the tasks reach the queue when they finish.
    await waitFor('review tasks', async () => (await svc.call<QueuePage>('GET', '/api/queue?kind=review', svc.users.fc.token)).body.items.length >= 2, 45_000);
  });

  afterEach(() => {
    expect(watch.problems).toEqual([]);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await svc?.close();
  });

  it('a fact-checker takes a task with the keyboard only, adds evidence and submits a verdict; a second fact-checker sees it taken at once', async () => {
    watch = new Watch();
    fc = await watch.page(await context());
    const other = await watch.page(await context());
    await signIn(other, svc.baseUrl, svc.users.fc2);
    await other.getByRole('table').waitFor();

    // Keyboard only: sign in, pick the first row, claim it, open it.
    await fc.goto(`${svc.baseUrl}/queue`);
    await fc.waitForURL(/\/signin/);
    a11y.push(...(await capture(fc, 'sign-in')));
    await fc.getByLabel('Name').focus();
    await fc.keyboard.type(svc.users.fc.name);
    await fc.keyboard.press('Tab');
    await fc.keyboard.type(svc.users.fc.password);
    await fc.keyboard.press('Enter');
    await fc.waitForURL(/\/queue/);
    const rows = fc.locator('table.queue tbody tr');
    await rows.first().waitFor();
    await fc.locator('body').focus();
    await fc.keyboard.press('j');
    const selected = fc.locator('table.queue tbody tr[aria-current="true"]');
    await selected.waitFor();
    taskId = (await selected.getAttribute('data-task-id')) ?? '';
    expect(taskId).not.toBe('');
    a11y.push(...(await capture(fc, 'queue')));
    await fc.keyboard.press('c');
    await expect.poll(() => selected.locator('td').nth(5).textContent()).toBe('Me');

    // The other fact-checker's open queue marks it as taken, live, without a reload.
    const row = other.locator(`tr[data-task-id="${taskId}"]`);
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain(`${svc.users.fc.name} took this just now`);
    await expect.poll(() => row.getByRole('button').count()).toBe(0);

    await fc.keyboard.press('Enter');
    await fc.waitForURL(new RegExp(`/tasks/${taskId}$`));
    await fc.getByRole('heading', { name: 'Verdict', exact: true }).waitFor();
    await expect.poll(() => fc.locator('mark.claim-current').count()).toBe(1);
    // Why it was picked: the extractor's signals in words, not only a score.
    await expect.poll(() => fc.locator('dl.facts dt', { hasText: 'Raised by' }).count()).toBe(1);
    expect((await fc.locator('dl.facts dt:has-text("Raised by") + dd').textContent())?.length).toBeGreaterThan(3);
    claimId = (await (await fetch(`${svc.baseUrl}/api/tasks/${taskId}`, { headers: { authorization: `Bearer ${svc.users.fc.token}` } })).json() as { task: { claimId: string } }).task.claimId;

    // Evidence by URL with a quote, then its stance changed in place.
    await fc.getByLabel('URL').fill('https://stats.example.org/libraries-2024');
    await fc.getByLabel('Title (optional)').fill('Library spending statistics 2024');
    await fc.getByLabel('Quote').fill('Library spending rose 25% between 2019 and 2024, to £10.1 million.');
    await fc.getByRole('button', { name: 'Add evidence' }).click();
    const evidence = fc.locator('ul.evidence li', { hasText: 'Library spending statistics 2024' });
    await evidence.waitFor();
    await evidence.getByRole('button', { name: 'Refutes' }).click();
    await expect.poll(() => evidence.getByRole('button', { name: 'Refutes' }).getAttribute('aria-pressed')).toBe('true');

    await fc.getByLabel('Mostly false').check();
    await fc.getByLabel('Summary').fill('Spending rose by about a quarter, not 40%.');
    await fc.getByLabel('Rationale').fill('The council’s own statistics show a 25% rise since 2019.');
    await fc.getByRole('checkbox', { name: /Library spending statistics 2024/ }).check();
    a11y.push(...(await capture(fc, 'workspace')));
    await fc.getByRole('button', { name: 'Submit verdict' }).click();
    await fc.getByText('Verdict submitted').waitFor();
  }, 120_000);

  it('an editor sends it back with a comment, the fact-checker revises, and a different editor approves', async () => {
    watch = new Watch();
    watch.attach(fc);
    const editor = await watch.page(await context());
    await signIn(editor, svc.baseUrl, svc.users.ed);
    await editor.goto(`${svc.baseUrl}/approvals`);
    const approvalRow = editor.locator('table.queue tbody tr').first();
    await approvalRow.waitFor();
    a11y.push(...(await capture(editor, 'approval-queue')));
    await editor.locator('body').focus();
    await editor.keyboard.press('j');
    await editor.keyboard.press('Enter');
    await editor.getByRole('heading', { name: 'Proposed verdict' }).waitFor();
    await editor.getByText('Spending rose by about a quarter, not 40%.').first().waitFor();
    a11y.push(...(await capture(editor, 'approval')));
    await editor.keyboard.press('s');
    await expect.poll(() => editor.evaluate(() => document.activeElement?.id)).toBe('sb-comment');
    await editor.keyboard.type('Say which statistics office published the figure.');
    await editor.keyboard.press('Control+Enter');
    await editor.getByText('Sent back to the fact-checker').waitFor();

    // The revision round is the fact-checker's own, with the editor's comment inline.
    await fc.goto(`${svc.baseUrl}/queue?filter=mine`);
    const mine = fc.locator('table.queue tbody tr', { hasText: 'Sent back: Say which statistics office' });
    await mine.waitFor();
    await mine.getByRole('link').click();
    await fc.getByRole('note').getByText('Say which statistics office published the figure.').waitFor();
    const summary = fc.getByLabel('Summary');
    await expect.poll(() => summary.inputValue()).toBe('Spending rose by about a quarter, not 40%.');
    await summary.fill('Spending rose by about a quarter (council statistics office), not 40%.');
    await fc.getByRole('button', { name: 'Submit verdict' }).click();
    await fc.getByText('Verdict submitted').waitFor();

    const second = await watch.page(await context());
    await signIn(second, svc.baseUrl, svc.users.ed2);
    await second.goto(`${svc.baseUrl}/approvals`);
    await second.locator('table.queue tbody tr').first().waitFor();
    await second.locator('table.queue tbody tr').first().getByRole('link').click();
    await second.getByRole('heading', { name: 'Since the previous round' }).waitFor();
    await second.locator('body').focus();
    await second.keyboard.press('a');
    await second.getByText('Approved. The verdict is recorded.').waitFor();
  }, 120_000);

  it('the dashboard and the claim timeline show the verdict, who did what and when', async () => {
    watch = new Watch();
    const editor = await watch.page(await context());
    await signIn(editor, svc.baseUrl, svc.users.ed);
    await editor.goto(`${svc.baseUrl}/dashboard`);
    await expect.poll(() => editor.locator('[data-status="verdict_recorded"] .tile-n').textContent(), { timeout: 10_000 }).toBe('1');
    a11y.push(...(await capture(editor, 'dashboard')));

    await editor.goto(`${svc.baseUrl}/timeline/${claimId}`);
    await editor.getByRole('heading', { name: 'Timeline' }).waitFor();
    const recorded = editor.locator('li[data-event-type="verdict_recorded"]');
    await recorded.waitFor();
    expect(await recorded.textContent()).toContain(svc.users.ed2.name);
    expect(await editor.locator('li[data-event-type="sent_back"]').textContent()).toContain(svc.users.ed.name);
    expect(await editor.locator('ol.versions').textContent()).toContain('Version 1');
    a11y.push(...(await capture(editor, 'timeline')));
    expect(a11y).toEqual([]);
  }, 120_000);
});
