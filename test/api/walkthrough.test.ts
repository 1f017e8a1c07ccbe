import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiHarness, type ApiHarness } from './support.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

describe('scripts/walkthrough.sh', () => {
  let h: ApiHarness;
  let baseUrl: string;
  beforeAll(async () => {
    h = await openApiHarness();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => h.close());

  it('takes the demo article from submission to a published ClaimReview over HTTP', async () => {
    // The demo article, made unique so this run's claims are this test's alone.
    const demo = JSON.parse(readFileSync(path.join(root, 'db/seeds/demo-article.json'), 'utf8')) as { title: string; body: string };
    const tag = randomUUID().slice(0, 8);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'claimdesk-walk-')), 'article.json');
    writeFileSync(file, JSON.stringify({ ...demo, title: `${demo.title} (${tag})`, body: `${demo.body}\n\nReference ${tag}.` }));

    const { stdout } = await run('bash', [path.join(root, 'scripts/walkthrough.sh')], {
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), CLAIMDESK_API_URL: baseUrl, FC_TOKEN: h.tokens.fact_checker, EDITOR_TOKEN: h.tokens.editor, ARTICLE_FILE: file, WAIT_SECONDS: '60' },
      timeout: 180_000,
    });
    const claimId = /done: claim (\d+) published/.exec(stdout)?.[1];
    expect(claimId, stdout).toBeDefined();
    expect(stdout).toContain('"@type": "ClaimReview"');

    // What the script saw is what the API serves.
    const review = (await h.req({ method: 'GET', url: `/api/claims/${claimId}/claimreview` })).json<{ reviewRating: { alternateName: string }; itemReviewed: { appearance: { url: string }[] } }>();
    expect(review.reviewRating.alternateName).toBe('Mostly true');
    expect(review.itemReviewed.appearance[0]?.url).toBe('https://demo.claimdesk.example/world/el-salvador-cecot-us-prisoners');
    const claim = (await h.req({ method: 'GET', url: `/api/claims/${claimId}`, token: h.tokens.editor })).json<{ claim: { status: string }; verdicts: { reviewer: string; approver: string }[] }>();
    expect(claim.claim.status).toBe('verdict_recorded');
    expect(claim.verdicts[0]).toMatchObject({ reviewer: h.names.fact_checker, approver: h.names.editor });
  });
});
